local skynet = require "skynet"
require "skynet.manager"
skynet.start(function()
    local e = skynet.newservice("echo")
    skynet.name("ECHO", e)
    skynet.error("by global name", skynet.call("ECHO", "lua", "add", 2, 3))
    skynet.error("done")
end)
