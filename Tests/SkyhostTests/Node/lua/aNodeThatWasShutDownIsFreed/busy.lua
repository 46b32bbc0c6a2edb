local skynet = require "skynet"
skynet.start(function()
    skynet.dispatch("lua", function() skynet.send(skynet.self(), "lua", "again") end)
    skynet.send(skynet.self(), "lua", "again")
end)
