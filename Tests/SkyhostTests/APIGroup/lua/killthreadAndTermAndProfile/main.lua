local skynet = require "skynet"
local profile = require "skynet.profile"
skynet.start(function()
    local co = skynet.fork(function()
        skynet.sleep(10)
        skynet.error("should not run")
    end)
    skynet.killthread(co)
    profile.start()
    local x = 0
    for i = 1, 200000 do x = x + i end
    skynet.sleep(1)
    local t = profile.stop()
    skynet.error("profile", t > 0, t < 5)
    skynet.sleep(20)
    skynet.error("killthread done")
end)
