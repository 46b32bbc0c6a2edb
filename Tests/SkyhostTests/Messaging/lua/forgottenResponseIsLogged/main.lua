local skynet = require "skynet"
skynet.start(function()
    local echo = skynet.newservice("echo")
    skynet.fork(function() skynet.call(echo, "lua", "forget") end)
end)
