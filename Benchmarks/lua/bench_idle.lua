-- An idle service as every real one is: it dispatches the "lua" protocol and answers.
local skynet = require "skynet"

skynet.start(function()
    skynet.dispatch("lua", function(_, _, ...)
        skynet.ret(skynet.pack(...))
    end)
end)
