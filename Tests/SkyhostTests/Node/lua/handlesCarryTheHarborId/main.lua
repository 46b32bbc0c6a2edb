local skynet = require "skynet"
skynet.start(function() skynet.error("self", skynet.address(skynet.self())) end)
