local skynet = require "skynet"
skynet.start(function()
    package.path = SERVICE_PATH .. "lib/?.lua;" .. package.path
    skynet.error("name", SERVICE_NAME, require("helper").value, SERVICE_PATH ~= nil)
end)
