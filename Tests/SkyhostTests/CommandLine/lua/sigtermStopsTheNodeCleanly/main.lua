local skynet = require "skynet"
skynet.start(function()
    skynet.fork(function() while true do skynet.sleep(100) end end)
    skynet.error("ready")
end)
