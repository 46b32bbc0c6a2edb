local skynet = require "skynet"
skynet.start(function()
    skynet.error("to swift-log")
    print("printed")
end)
