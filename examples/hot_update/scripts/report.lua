-- An update script for `hotfix.sh node1 script scripts/report.lua` (run inside the updater by
-- run_script): asks every business service for a probe answer and returns one line.
local skynet = require "skynet"

local lines = {}
skynet.start(function()
    for i = 1, tonumber(skynet.getenv("business_services") or "3") do
        local version, _, count = skynet.call(".business" .. i, "lua", "process", "probe")
        lines[#lines + 1] = string.format(".business%d %s probe=%d", i, version, count)
    end
end)
return table.concat(lines, ", ")
