-- Helpers of the database tests' main services.
local skynet = require "skynet"

local checks = {}

-- Logs "ok ..." or "FAIL ...": the test counts the first and fails on the second.
function checks.check(cond, ...)
    skynet.error(cond and "ok" or "FAIL", ...)
end

-- Runs a statement through mysql_mgr (raises when it fails).
function checks.q(sql)
    return skynet.call(skynet.uniqueservice("mysql_mgr"), "lua", "query", sql)
end

return checks
