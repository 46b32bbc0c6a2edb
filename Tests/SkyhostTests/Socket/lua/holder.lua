local skynet = require "skynet"
local socket = require "skynet.socket"
skynet.start(function()
    local lid, _, port = socket.listen("127.0.0.1", 0)
    socket.start(lid, function(id) socket.start(id) end)
    skynet.dispatch("lua", function(_, _, cmd)
        if cmd == "port" then skynet.ret(skynet.pack(port)) else skynet.exit() end
    end)
end)
