--serviceA.lua
local skynet = require "skynet"

local handles = {}

handles.foo = function()
    print("foo")
end

skynet.start(function()
    skynet.dispatch("lua", function(session, source, cmd, ...)
        local handle = handles[cmd]
        if handle then
            handle()
        else
            print("cmd not found", cmd)
        end
    end)
end)
