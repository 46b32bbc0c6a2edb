local skynet = require "skynet"
local UpdateAuth = require "update_auth"
skynet.start(function()
    skynet.newservice("debug_console", skynet.getenv "console_ip", "0")
    skynet.newservice("updater")
    skynet.uniqueservice("config_mgr")
    skynet.uniqueservice("version_mgr")
    if UpdateAuth.enabled() then print("TOKEN " .. UpdateAuth.generate_token("alice")) end
    print("ready")
end)
