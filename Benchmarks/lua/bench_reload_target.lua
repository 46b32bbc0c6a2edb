-- A service of the `reload` bench: the document's _reload_module hook over one module.
-- skynet.newservice("bench_reload_target", dir): the module is dir/bench_reload_mod.lua.
local skynet = require "skynet"
local HotFix = require "hotfix"

local dir = ...
package.path = dir .. "/?.lua;" .. package.path

local mod = require "bench_reload_mod"

local CMD = {}

function CMD._reload_module(name)
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
