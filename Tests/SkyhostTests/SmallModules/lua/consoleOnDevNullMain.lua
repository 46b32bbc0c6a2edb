-- Starts the console service and a debug console on a free port.
local skynet = require "skynet"

skynet.start(function()
    skynet.newservice("console")
    skynet.newservice("debug_console", "127.0.0.1", 0)
end)
