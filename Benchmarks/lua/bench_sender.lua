local skynet = require "skynet"

skynet.start(function()
    skynet.dispatch("lua", function(session, source, cmd, sink, n)
        for i = 1, n do
            skynet.send(sink, "lua", "tick")
        end
    end)
end)
