local skynet = require "skynet"
skynet.start(function()
    skynet.error("send", skynet.send(0x7ffff, "lua", "x") == nil)
    skynet.error("send name", skynet.send(".nobody", "lua", "x") == nil)
    local ok, err = pcall(skynet.call, 0x7ffff, "lua", "x")
    skynet.error("call", ok, err)
end)
