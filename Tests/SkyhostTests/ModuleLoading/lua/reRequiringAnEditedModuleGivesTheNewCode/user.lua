local skynet = require "skynet"
skynet.start(function()
    skynet.dispatch("lua", function(session, source, cmd)
        if cmd == "reload" then package.loaded.greeting = nil end
        skynet.retpack(require("greeting").text, SERVICE_NAME)
    end)
end)
