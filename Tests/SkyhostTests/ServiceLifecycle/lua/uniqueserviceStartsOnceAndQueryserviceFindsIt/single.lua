local skynet = require "skynet"
skynet.start(function() skynet.error("single started") end)
