local skynet = require "skynet"
skynet.start(function()
    skynet.dispatch("lua", function(session, source, cmd, ...)
        skynet.retpack(skynet.call(".scores", "lua", cmd, ...))
    end)
end)
