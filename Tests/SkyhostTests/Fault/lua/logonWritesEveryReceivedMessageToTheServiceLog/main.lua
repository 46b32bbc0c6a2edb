local skynet = require "skynet"
local core = require "skynet.core"
skynet.start(function()
    local e = skynet.newservice("echo")
    core.command("LOGON", skynet.address(e))
    skynet.call(e, "lua", "add", 1, 2)
    core.command("LOGOFF", skynet.address(e))
    skynet.call(e, "lua", "add", 3, 4)
    skynet.error("logged")
end)
