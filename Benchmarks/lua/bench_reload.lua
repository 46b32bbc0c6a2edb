-- The `reload` bench's driver: skynet.newservice("bench_reload", n) starts n services that use a
-- module (bench_reload_target) and the updater (service/updater.lua, found on Skyhost's own
-- service path; on Skynet put Skyhost's service/ and lualib/ after Skynet's, see README.md).
-- skynet.newservice("bench_reload", n, "in_place") starts n bench_reload_service instead, which
-- a round reloads in place (Skyhost only), every service at once as the console's reloadall does.
--   run(version)  writes version `version` of the module, then times
--                 skynet.call(".updater", "lua", "update_module", "bench_reload_mod"), which returns
--                 once every service has acknowledged (in_place: a debug RELOAD to every service,
--                 until all have answered that their new state serves); then (untimed) asks every
--                 service which version it runs. Returns the time in microseconds and how many
--                 run `version`.
--   stop()        kills the services and removes the module's folder.
local skynet = require "skynet"
require "skynet.manager"	-- skynet.kill

local n_arg, mode = ...
local N = tonumber(n_arg) or 1000
local IN_PLACE = mode == "in_place"
local MODULE = "bench_reload_mod"

local base = os.tmpname()	-- a fresh file name; the module lives in base .. ".d/"
local dir = base .. ".d"
local targets = {}
local updater

-- About 50 lines of ordinary code, so that loading it is not free.
local function module_source(version)
	local lines = { "local M = {}", "M.version = " .. version }
	for i = 1, 8 do
		lines[#lines + 1] = string.format([[
function M.f%d(t, x)
    local sum = 0
    for k, v in pairs(t) do
        if type(v) == "number" then sum = sum + v * %d + x end
    end
    return sum, "f%d"
end]], i, i, i)
	end
	lines[#lines + 1] = "return M"
	return table.concat(lines, "\n") .. "\n"
end

local function write_module(version)
	local f = assert(io.open(dir .. "/" .. MODULE .. ".lua", "w"))
	f:write(module_source(version))
	f:close()
end

local CMD = {}

function CMD.run(version)
	write_module(version)
	local start = skynet.hpc()
	local acknowledged = 0
	if IN_PLACE then
		local req = skynet.request()
		for i = 1, N do
			req:add({ targets[i], "debug", "RELOAD", {} })
		end
		for _, resp in req:select() do
			if resp and resp[1] == true then
				acknowledged = acknowledged + 1
			end
		end
	else
		local results = skynet.call(".updater", "lua", "update_module", MODULE)
		for i = 1, N do
			local r = results[skynet.address(targets[i])]
			if r and r.ok and r.result == true then
				acknowledged = acknowledged + 1
			end
		end
	end
	local us = (skynet.hpc() - start) / 1000
	local current = 0
	for i = 1, N do
		if skynet.call(targets[i], "lua", "version") == version then
			current = current + 1
		end
	end
	return us, acknowledged, current
end

function CMD.stop()
	for i = 1, N do
		skynet.kill(targets[i])
	end
	skynet.kill(updater)
	os.remove(dir .. "/" .. MODULE .. ".lua")
	os.remove(dir)
	os.remove(base)
	return true
end

skynet.start(function()
	os.execute("mkdir -p '" .. dir .. "'")
	write_module(0)
	updater = skynet.newservice("updater")
	for i = 1, N do
		targets[i] = skynet.newservice(IN_PLACE and "bench_reload_service" or "bench_reload_target", dir)
	end
	-- A live server's services have served messages before an update: do it once, untimed.
	for i = 1, N do
		skynet.call(targets[i], "lua", "version")
	end
	skynet.dispatch("lua", function(session, source, cmd, ...)
		local f = CMD[cmd]
		if f then
			skynet.ret(skynet.pack(f(...)))
		else	-- e.g. the updater's _reload_module: this service has no hook
			skynet.ret(skynet.pack(nil, "not a reload target"))
		end
	end)
end)
