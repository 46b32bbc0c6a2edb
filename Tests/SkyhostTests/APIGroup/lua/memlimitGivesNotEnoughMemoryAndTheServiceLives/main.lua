local skynet = require "skynet"
skynet.start(function()
    local h = skynet.newservice("hog")
    skynet.error("grow", skynet.call(h, "lua", "grow"))
    skynet.error("after", skynet.call(h, "lua", "ping"))
end)
