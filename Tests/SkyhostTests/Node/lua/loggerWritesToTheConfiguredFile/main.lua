local skynet = require "skynet"
require "skynet.manager"
skynet.start(function()
    skynet.error("to the file")
    skynet.abort()
end)
