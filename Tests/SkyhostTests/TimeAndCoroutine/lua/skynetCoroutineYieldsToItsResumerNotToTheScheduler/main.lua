local skynet = require "skynet"
local coroutine = require "skynet.coroutine"
skynet.start(function()
    local co = coroutine.create(function(a)
        skynet.sleep(1)  -- suspends through the scheduler, transparently
        local b = coroutine.yield(a + 1)
        return b * 2
    end)
    local ok1, v1 = coroutine.resume(co, 1)
    local ok2, v2 = coroutine.resume(co, 10)
    skynet.error("coroutine", ok1, v1, ok2, v2, coroutine.status(co))
end)
