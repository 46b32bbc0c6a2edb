local skynet = require "skynet"
local handles = {}
handles.foo = function() return "foo" end
handles.global = function(name) return tostring(rawget(_G, name)) end
skynet.start(function()
    skynet.dispatch("lua", function(session, source, cmd, ...)
        local handle = handles[cmd]
        if not handle then error("cmd not found " .. tostring(cmd)) end
        skynet.ret(skynet.pack(handle(...)))
    end)
end)
