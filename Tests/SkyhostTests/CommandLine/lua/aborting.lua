local skynet = require "skynet"
require "skynet.manager"
local args = table.concat({ ... }, ",")
skynet.start(function()
    skynet.error("greeting", skynet.getenv("greeting"), skynet.getenv("thread"), args)
    skynet.abort()
end)
