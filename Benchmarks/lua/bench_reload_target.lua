-- A service of the `reload` bench: the classic version's _reload_module hook over one module.
-- skynet.newservice("bench_reload_target", dir): the module is dir/bench_reload_mod.lua.
--
-- The config key bench_reload_hook picks what the hook does, to show where a reload's time goes
-- (Benchmarks/README.md). Only the default runs the new code; the others leave every service on
-- the old one, and the bench says so instead of reporting the round as stale.
--   reload   HotFix.reload(name), the classic version's hook (the default)
--   noop     answers true at once: what is left is the updater's work and the 1,000 round trips
--   undump   also loads this module's bytecode (made when the service started) into the
--            service's state, without running it: the part that stock Lua makes every state do
--            for itself
local skynet = require "skynet"
local HotFix = require "hotfix"

local dir = ...
package.path = dir .. "/?.lua;" .. package.path

local mod = require "bench_reload_mod"

local HOOK = skynet.getenv("bench_reload_hook") or "reload"
local bytecode = HOOK == "undump"
    and string.dump(assert(loadfile(package.searchpath("bench_reload_mod", package.path))))

local CMD = {}

function CMD._reload_module(name)
    if HOOK == "noop" then
        return true
    elseif HOOK == "undump" then
        return load(bytecode, "=bench_reload_mod", "b") ~= nil
    end
    local ok, new = HotFix.reload(name)
    if ok and name == "bench_reload_mod" then
        mod = new
    end
    return ok
end

function CMD.version()
    return mod.version
end

skynet.start(function()
    skynet.dispatch("lua", function(session, source, cmd, ...)
        local f = assert(CMD[cmd])
        skynet.ret(skynet.pack(f(...)))
    end)
end)
