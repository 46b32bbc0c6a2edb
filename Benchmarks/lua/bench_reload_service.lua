-- A service of the reload-in-place benches (Skyhost only: Skynet has no reload in place).
-- skynet.newservice("bench_reload_service", dir): requires bench_reload_mod from dir, as
-- bench_reload_target does, so that a reload runs the module's newest version; counts "push"
-- messages and keeps the count across reloads (on_reload / reloaded).
--   push      (a send) counts one
--   count     -> the count
--   version   -> the module's version
local skynet = require "skynet"

local dir = ...
package.path = dir .. "/?.lua;" .. package.path

local mod = require "bench_reload_mod"

local count = skynet.reloaded() or 0
skynet.on_reload(function()
	return count
end)

skynet.start(function()
	skynet.dispatch("lua", function(session, _, cmd)
		if cmd == "push" then
			count = count + 1
		elseif cmd == "count" then
			skynet.ret(skynet.pack(count))
		elseif session ~= 0 then
			skynet.ret(skynet.pack(mod.version))
		end
	end)
end)
