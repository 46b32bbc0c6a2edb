-- Helpers of the hot-update tests' main services.
local skynet = require "skynet"

local checks = {}

-- Logs "ok ..." or "FAIL ...": the test counts the first and fails on the second.
function checks.check(cond, ...)
    skynet.error(cond and "ok" or "FAIL", ...)
end

-- Writes a file of the node's service folder.
function checks.write(name, source)
    local f = assert(io.open(SERVICE_PATH .. name, "w"))
    f:write(source)
    f:close()
end

-- Puts version `version` of the business logic module in place (VERSION_business_logic.lua).
function checks.install(version)
    local f = assert(io.open(SERVICE_PATH .. version .. "_business_logic.lua"))
    checks.write("business_logic.lua", f:read("a"))
    f:close()
end

function checks.pack(...)
    return table.pack(...)
end

return checks
