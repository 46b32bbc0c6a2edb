local skynet = require "skynet"
skynet.start(function()
    skynet.fork(function() skynet.sleep(100000) end)
    skynet.fork(function() skynet.sleep(100000) end)
    skynet.dispatch("lua", function()
        skynet.retpack(skynet.task(), skynet.mqlen(), skynet.stat("message") > 0)
    end)
end)
