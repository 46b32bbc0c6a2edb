local skynet = require "skynet"
skynet.start(function()
    local p = skynet.newservice("probe")
    skynet.error("who", skynet.call(p, "lua", "who"))
    -- redirect: a message that appears to come from the launcher
    skynet.redirect(p, skynet.localname(".launcher"), "lua", 0, skynet.pack("quiet"))
    skynet.error("genid positive", skynet.genid() > 0)
end)
