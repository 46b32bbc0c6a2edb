local skynet = require "skynet"
require "skynet.manager"
skynet.start(function()
    local v = skynet.newservice("version_mgr")
    assert(skynet.call(v, "lua", "set_version", "server", "1.0.1"))
    assert(skynet.call(".version_mgr", "lua", "set_version", "protocol", "2.0.0", "alice"))
    print("saved", skynet.call(v, "lua", "get_version", "server"))
    skynet.abort()
end)
