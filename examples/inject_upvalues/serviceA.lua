--serviceA.lua
local skynet = require "skynet"

local handles = {}

local N = 1
local T = {
    count = 0,
}

handles.foo = function()
    N = N + 2
    T.count = T.count + 1
    print("foo", N, T.count)
end

handles.bar = function()
    N = N - 1
    print("bar", N)
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
