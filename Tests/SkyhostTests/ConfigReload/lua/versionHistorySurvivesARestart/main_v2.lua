local skynet = require "skynet"
require "skynet.manager"
skynet.start(function()
    local v = skynet.newservice("version_mgr")
    local all = skynet.call(v, "lua", "get_version")
    print("versions", all.server, all.config, all.protocol)
    for i, h in ipairs(skynet.call(v, "lua", "get_history")) do
        print("history", i, h.component, h.old_version, h.new_version, math.type(h.timestamp), h.timestamp, h.operator)
    end
    skynet.abort()
end)
