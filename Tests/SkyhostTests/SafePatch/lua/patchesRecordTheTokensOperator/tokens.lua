local skynet = require "skynet"
local UpdateAuth = require "update_auth"
skynet.start(function() print("TOKEN " .. UpdateAuth.generate_token("alice")) end)
