local skynet = require "skynet"
skynet.start(function()
    skynet.dispatch("lua", function() skynet.retpack("pong") end)
end)
