local skynet = require "skynet"
local M = { ready = false }
skynet.init(function() M.ready = true end)
return M
