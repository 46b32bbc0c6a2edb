local skynet = require "skynet"
skynet.start(function()
    skynet.dispatch("lua", function(session, source, cmd)
        if cmd == "block" then
            local t = os.clock()
            while os.clock() - t < 0.2 do end
        elseif cmd == "count" then
            skynet.retpack(skynet.stat("message"))
        end
    end)
end)
