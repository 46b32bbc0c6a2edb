local skynet = require "skynet"
require "skynet.manager"
local checks = require "checks"
local check, install, pack = checks.check, checks.install, checks.pack
skynet.start(function()
    skynet.newservice("updater")
    local b1 = skynet.newservice("business_service")
    local b2 = skynet.newservice("business_service", "zone", "2")
    local other = skynet.newservice("business_service_admin")
    for _ = 1, 4 do skynet.call(b1, "lua", "process", "alice") end
    skynet.call(b1, "lua", "process", "bob")
    skynet.call(b2, "lua", "process", "alice")
    skynet.call(other, "lua", "process", "alice")

    install("v2")
    local updated, report = skynet.call(".updater", "lua", "update_service", "business_service")
    skynet.error("REPORT", report)
    check(updated == 2, "two instances updated (launched with and without arguments)", updated)

    local a = pack(skynet.call(b1, "lua", "process", "alice"))
    check(a[1] == "v2" and a[3] == 5 and a[4] == 2, "alice: 4 requests migrated, level derived", table.unpack(a))
    a = pack(skynet.call(b1, "lua", "process", "bob"))
    check(a[1] == "v2" and a[3] == 2 and a[4] == 1, "bob migrated", table.unpack(a))
    a = pack(skynet.call(b2, "lua", "process", "alice"))
    check(a[1] == "v2" and a[3] == 2, "each instance keeps its own state", table.unpack(a))
    a = pack(skynet.call(other, "lua", "process", "alice"))
    check(a[1] == "v1" and a[3] == 2, "a service of another name is not touched", table.unpack(a))

    -- Back to v1 (a rollback): v2 kept v1's state shape, so the counts survive.
    install("v1")
    updated, report = skynet.call(".updater", "lua", "update_service", "business_service")	-- luacheck: ignore 311
    skynet.error("REPORT", report)
    a = pack(skynet.call(b1, "lua", "process", "alice"))
    check(a[1] == "v1" and a[3] == 6 and a.n == 3, "rolled back to v1 with the count", table.unpack(a))

    updated, report = skynet.call(".updater", "lua", "update_service", "nosuch")
    check(updated == 0, "no service of that name")
    skynet.error("REPORT", report)
    skynet.error("DONE")
end)
