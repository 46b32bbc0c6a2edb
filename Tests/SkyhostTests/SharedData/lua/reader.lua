-- A reader of the shared table "conf" of `kind` (sharedata, sharetable or datasheet): reads it
-- whole between two yields, again and again, until it has read version `final`. Answers `report`
-- with "ok" once there, or what it saw wrong: a version mixed with another, or going back.
local skynet = require "skynet"

local kind, final = ...
final = tonumber(final)

local query, update
if kind == "sharedata" then
	query = require("skynet.sharedata").query
elseif kind == "sharetable" then
	local sharetable = require "skynet.sharetable"
	query, update = sharetable.query, sharetable.update
else
	query = require("skynet.datasheet").query
end

local problem, done, waiting

-- The version of t if all of it says the same, else an error.
local function read_whole(t, items)
	local v = t.version
	for i = 1, 100 do
		if items[i] ~= v or t["key" .. i] ~= v then
			error(string.format("a mix: version %s with item %d = %s", v, i, tostring(items[i])))
		end
	end
	if #items ~= 100 or t.nested.deep.v ~= v then
		error("a mix in the nested table of version " .. v)
	end
	return v
end

local function run()
	local t = query("conf")
	local items = t.items	-- a subtable view taken once: it must follow the versions too
	local last = -1
	while true do
		local ok, v = pcall(read_whole, t, items)
		if not ok then
			problem = v
			break
		end
		if v < last then
			problem = string.format("went back from version %d to %d", last, v)
			break
		end
		last = v
		if v == final then
			break
		end
		if update then
			update("conf")
		end
		skynet.sleep(0)
	end
	done = true
	if waiting then
		skynet.wakeup(waiting)
	end
end

skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd)
		assert(cmd == "report")
		if not done then
			waiting = coroutine.running()
			skynet.wait(waiting)
		end
		collectgarbage()
		skynet.retpack(problem or "ok")
	end)
	skynet.fork(run)
end)
