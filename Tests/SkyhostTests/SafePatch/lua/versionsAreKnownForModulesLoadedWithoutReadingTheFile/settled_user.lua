local skynet = require "skynet"
require "update_auth"
skynet.start(function() end)
