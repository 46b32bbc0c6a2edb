local skynet = require "skynet"
skynet.start(function()
    local cm = skynet.uniqueservice("config_mgr")
    assert(skynet.call(cm, "lua", "load", "values", SERVICE_PATH .. "values.json"))
    print("ready")
end)
