local skynet = require "skynet"
require("skynet.debug").reg_debugcmd("HELLO", function(who) skynet.ret(skynet.pack("hello " .. who)) end)
skynet.start(function()
    skynet.dispatch("lua", function(session, source, cmd)
        if cmd == "hold" then skynet.response() else skynet.ret(skynet.pack(cmd)) end
    end)
end)
