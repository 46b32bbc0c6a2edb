local skynet = require "skynet"
skynet.start(function() end)
