local skynet = require "skynet"
local HotFix = require "hotfix"
local CMD = {}
function CMD.greet() return require("greeting").text end
function CMD._reload_module(name) return (HotFix.reload(name)) end
skynet.start(function()
    skynet.dispatch("lua", function(session, source, cmd, ...)
        skynet.retpack(assert(CMD[cmd])(...))
    end)
end)
