local skynet = require "skynet"
skynet.start(function() error("bad start") end)
