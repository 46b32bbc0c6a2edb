local skynet = require "skynet"
local args = { ... }
local ready = false
skynet.start(function()
    skynet.sleep(5)  -- the start function yields; newservice still waits for it
    ready = true
    skynet.dispatch("lua", function()
        skynet.retpack(ready, #args, type(args[2]), args[2], SERVICE_NAME)
    end)
end)
