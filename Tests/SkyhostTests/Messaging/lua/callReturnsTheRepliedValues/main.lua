local skynet = require "skynet"
skynet.start(function()
    local echo = skynet.newservice("echo")
    local a, b, c = skynet.call(echo, "lua", "echo", 1, "two", { three = 3 })
    skynet.error("echo", a, b, c.three)
    skynet.error("add", skynet.call(echo, "lua", "add", 40, 2))
    skynet.error("later", skynet.call(echo, "lua", "later"))
end)
