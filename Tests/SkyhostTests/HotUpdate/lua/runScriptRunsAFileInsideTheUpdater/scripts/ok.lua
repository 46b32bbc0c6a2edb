-- Written as a service, like the document's migration script.
local skynet = require "skynet"
local count
skynet.start(function()
    count = select(3, skynet.call(".biz", "lua", "process", "script"))
    skynet.error("migration done")
end)
LEAKED = true
return "count " .. count
