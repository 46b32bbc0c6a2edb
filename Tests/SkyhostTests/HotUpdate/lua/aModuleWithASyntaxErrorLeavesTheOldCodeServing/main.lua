local skynet = require "skynet"
require "skynet.manager"
local checks = require "checks"
local check, install, pack = checks.check, checks.install, checks.pack
skynet.start(function()
    skynet.newservice("updater")
    local biz = { skynet.newservice("business_service"), skynet.newservice("business_service") }
    for i = 1, 2 do skynet.call(biz[i], "lua", "process", "alice") end

    install("v3_syntax")
    local results, report = skynet.call(".updater", "lua", "update_module", "business_logic")
    skynet.error("REPORT", report)
    for i = 1, 2 do
        local r = results[skynet.address(biz[i])]
        check(r.ok == true and r.result == false and r.error:find("unexpected symbol near 'end'", 1, true),
            "the service answered false with the compiler's message")
        local a = pack(skynet.call(biz[i], "lua", "process", "alice"))
        check(a[1] == "v1" and a[3] == 2, "v1 still serves, with its state", table.unpack(a))
    end
    local updated
    updated, report = skynet.call(".updater", "lua", "update_service", "business_service")
    skynet.error("REPORT", report)
    check(updated == 0, "update_service updated nothing")

    -- Fixed on disk: the next reload takes it (no cache to clear).
    install("v2")
    updated, report = skynet.call(".updater", "lua", "update_service", "business_service")	-- luacheck: ignore 311
    local a = pack(skynet.call(biz[1], "lua", "process", "alice"))
    check(updated == 2 and a[1] == "v2" and a[3] == 3, "the fixed version loads", table.unpack(a))
    skynet.error("DONE")
end)
