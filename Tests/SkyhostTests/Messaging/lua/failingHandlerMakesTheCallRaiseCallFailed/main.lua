local skynet = require "skynet"
skynet.start(function()
    local echo = skynet.newservice("echo")
    local ok, err = pcall(skynet.call, echo, "lua", "raise")
    skynet.error("raised", ok, err)
    skynet.error("still serving", skynet.call(echo, "lua", "add", 1, 1))
end)
