local skynet = require "skynet"
skynet.start(function()
    skynet.fork(function() while true do skynet.sleep(1) end end)
    skynet.error("running")
end)
