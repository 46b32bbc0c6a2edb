local skynet = require "skynet"
skynet.start(function()
    local a = skynet.uniqueservice("single")
    local b = skynet.uniqueservice("single")
    local c = skynet.queryservice("single")
    skynet.error("unique", a == b, b == c)
end)
