local skynet = require "skynet"
skynet.start(function()
    skynet.newservice("debug_console", "127.0.0.1", 0)
    skynet.newservice("updater")
    skynet.error("READY")
end)
