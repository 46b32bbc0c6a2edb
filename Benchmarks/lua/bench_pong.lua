local skynet = require "skynet"

skynet.start(function()
    skynet.dispatch("lua", function(session, source, i)
        skynet.ret(skynet.pack(i))
    end)
end)
