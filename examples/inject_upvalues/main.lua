--main.lua
local skynet = require "skynet"

skynet.start(function()
    skynet.newservice("debug_console", "127.0.0.1", "9666")
    local addr = skynet.newservice("serviceA")

    local function tick()
        skynet.send(addr, "lua", "foo")
        skynet.send(addr, "lua", "bar")
        skynet.timeout(500, tick)
    end

    skynet.timeout(500, tick)
end)
