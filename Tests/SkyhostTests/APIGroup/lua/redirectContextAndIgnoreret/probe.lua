local skynet = require "skynet"
skynet.start(function()
    skynet.dispatch("lua", function(session, source, cmd)
        if cmd == "who" then
            skynet.retpack(skynet.address(source), session == skynet.context() and "ctx" or "noctx")
        elseif cmd == "quiet" then
            skynet.ignoreret()
            skynet.error("quiet handled")
        end
    end)
end)
