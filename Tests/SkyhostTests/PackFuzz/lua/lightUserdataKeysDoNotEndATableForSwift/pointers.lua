local skynet = require "skynet"
skynet.start(function()
    skynet.dispatch("lua", function()
        local pointer = skynet.pack("anything")
        skynet.retpack({ [pointer] = "dropped", a = 2 }, "after")
        skynet.trash(pointer, 0)
    end)
end)
