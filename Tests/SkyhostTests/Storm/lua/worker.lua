local skynet = require "skynet"
local HotFix = require "hotfix"
local handles = {}
handles.left = function() return 0 end
handles.right = function() return -1 end
local served = 0
local function hit(source, seq)
    served = served + 1
    local pair = require "storm_pair"
    skynet.send(source, "lua", "ack", seq, handles.left(), handles.right(), pair.left(), pair.right())
end
skynet.start(function()
    skynet.dispatch("lua", function(session, source, cmd, ...)
        if cmd == "hit" then
            hit(source, ...)
        elseif cmd == "state" then
            skynet.retpack(served, handles.left(), require("storm_pair").left())
        elseif cmd == "_reload_module" then
            local ok, err = HotFix.reload(...)
            skynet.retpack(ok, not ok and err or nil)
        else
            error("unknown command " .. tostring(cmd))
        end
    end)
end)
