local skynet = require "skynet"
skynet.start(function()
    skynet.dispatch("lua", function(session, source, cmd)
        if cmd == "hang" then
            skynet.wait()  -- never answers
        else
            skynet.exit()
        end
    end)
end)
