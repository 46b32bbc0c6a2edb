local skynet = require "skynet"
require "skynet.manager"
local checks = require "checks"
local check = checks.check
skynet.start(function()
    skynet.newservice("updater", "50")   -- half a second per service at most
    local w = {}
    for _, mode in ipairs { "ok", "busy", "hung", "nohook", "fails", "exits", "ok" } do
        w[#w + 1] = skynet.newservice("worker", mode)
    end
    skynet.send(w[2], "lua", "spin", 1.5)   -- busy for 1.5 s: holds one of the two threads
    local start = skynet.now()
    local updated, report = skynet.call(".updater", "lua", "update_service", "worker")
    local took = skynet.now() - start
    skynet.error("REPORT", report)
    check(updated == 2, "the two healthy workers were updated", updated)
    check(took >= 45 and took < 140, "one time limit for all, not one per service", took)
    check(skynet.call(w[1], "lua", "version") == "new" and skynet.call(w[7], "lua", "version") == "new", "healthy ones run the new code")
    check(skynet.call(w[5], "lua", "version") == "old", "the failed one keeps the old")
    -- The busy one reads the _hotfix message when it is free again.
    check(skynet.call(w[2], "lua", "version") == "new", "the busy one applies it late")
    skynet.error("DONE")
end)
