local skynet = require "skynet"
skynet.start(function()
    skynet.dispatch("lua", function(session, source, cmd)
        if cmd == "loop" then
            skynet.error("looping")
            while true do end
        end
        skynet.ret(skynet.pack("alive"))
    end)
end)
