local skynet = require "skynet"
require "skynet.manager"
skynet.start(function()
    local cm = skynet.uniqueservice("config_mgr")
    assert(skynet.call(cm, "lua", "load", "values", SERVICE_PATH .. "values.json"))
    local raising = skynet.newservice("watcher", "raising")
    local dying = skynet.newservice("watcher", "dying")
    local good = skynet.newservice("watcher", "good")
    for _, w in ipairs { raising, dying, good, good } do
        skynet.call(cm, "lua", "watch", "values", w, "changed")
    end
    skynet.kill(dying)
    print("ready")
end)
