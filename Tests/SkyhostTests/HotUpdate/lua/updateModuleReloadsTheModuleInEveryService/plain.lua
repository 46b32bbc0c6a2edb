local skynet = require "skynet"
skynet.start(function()
    skynet.dispatch("lua", function(session, source, cmd) skynet.retpack("plain " .. cmd) end)
end)
