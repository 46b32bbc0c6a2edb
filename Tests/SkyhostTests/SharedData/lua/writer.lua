-- Creates the shared table "conf" of `kind` at version 0, starts `count` readers, updates it to
-- versions 1..`final` while they read, then prints how many readers read only whole versions and
-- reached the last, and how many frozen tables the node still holds once they have collected.
local skynet = require "skynet"
local ft = require "skyhost.frozentable"
local versioned = require "versioned"

local kind, count, final = ...
count, final = tonumber(count), tonumber(final)

-- Creates conf at version 0; returns how to publish version v.
local function setup()
	local publish
	if kind == "sharedata" then
		local sharedata = require "skynet.sharedata"
		sharedata.new("conf", versioned(0))
		publish = function(v) sharedata.update("conf", versioned(v)) end
	elseif kind == "sharetable" then
		local sharetable = require "skynet.sharetable"
		publish = function(v) sharetable.loadtable("conf", versioned(v)) end
		publish(0)
	else
		local builder = require "skynet.datasheet.builder"
		builder.new("conf", versioned(0))
		publish = function(v) builder.update("conf", versioned(v)) end
	end
	return publish
end

skynet.start(function()
	local publish = setup()
	local readers = {}
	for i = 1, count do
		readers[i] = skynet.newservice("reader", kind, final)
	end
	for v = 1, final do
		publish(v)
		skynet.sleep(1)
	end
	local whole, problems = 0, {}
	for _, reader in ipairs(readers) do
		local report = skynet.call(reader, "lua", "report")
		if report == "ok" then
			whole = whole + 1
		else
			problems[#problems + 1] = report
		end
	end
	print(string.format("%s: %d readers of %d read whole versions up to %d", kind, whole, count, final))
	for _, p in ipairs(problems) do
		print(kind .. " problem: " .. p)
	end
	collectgarbage()
	print(string.format("%s: %d frozen tables live", kind, (ft.live())))
end)
