-- Counts one-way messages on arrival; "wait" returns when the expected number has arrived.
local skynet = require "skynet"

local expected, received = 0, 0
local waiting

skynet.start(function()
    skynet.dispatch("lua", function(session, source, cmd, arg)
        if cmd == "tick" then
            received = received + 1
            if received == expected and waiting then
                skynet.wakeup(waiting)
            end
        elseif cmd == "expect" then
            expected, received = arg, 0
            skynet.ret()
        elseif cmd == "wait" then
            if received < expected then
                waiting = coroutine.running()
                skynet.wait(waiting)
                waiting = nil
            end
            skynet.ret()
        end
    end)
end)
