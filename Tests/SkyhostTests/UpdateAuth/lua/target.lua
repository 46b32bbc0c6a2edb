local skynet = require "skynet"
local handles = {}
function handles.who() return "original" end
function handles._hotfix() return true end
skynet.start(function()
    skynet.dispatch("lua", function(session, source, cmd, ...)
        skynet.retpack(handles[cmd](...))
    end)
end)
