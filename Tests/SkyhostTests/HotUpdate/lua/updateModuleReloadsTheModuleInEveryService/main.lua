local skynet = require "skynet"
require "skynet.manager"
local checks = require "checks"
local check, write, install, pack = checks.check, checks.write, checks.install, checks.pack
skynet.start(function()
    skynet.newservice("updater", "200")
    local biz = {}
    for i = 1, 3 do biz[i] = skynet.newservice("business_service") end
    local greeters = { skynet.newservice("greeter"), skynet.newservice("greeter", "with", "args") }
    local plain = skynet.newservice("plain")
    for i = 1, 3 do skynet.call(biz[i], "lua", "process", "alice") end
    check(skynet.call(greeters[2], "lua", "greet") == "hello v1", "greeter runs v1")

    -- A module edited on disk, reloaded in every service that has the hook.
    write("greeting.lua", "return { text = 'hello v2' }")
    local results, report = skynet.call(".updater", "lua", "update_module", "greeting")
    skynet.error("REPORT", report)
    for _, g in ipairs(greeters) do
        local r = results[skynet.address(g)]
        check(r and r.ok == true and r.result == true, "greeter acknowledged", skynet.address(g))
        check(skynet.call(g, "lua", "greet") == "hello v2", "greeter runs v2")
    end
    local r = results[skynet.address(plain)]
    check(r and r.ok == true and r.result == "plain _reload_module", "a service without the hook answered as it does")
    check(results[skynet.address(skynet.self())].ok == false, "main has no lua dispatch: the call failed")
    check(results[skynet.address(skynet.localname(".updater"))] == nil, "the updater does not ask itself")

    -- The business module through update_module: the template keeps the counters.
    install("v2")
    results, report = skynet.call(".updater", "lua", "update_module", "business_logic")
    skynet.error("REPORT", report)
    for i = 1, 3 do
        check(results[skynet.address(biz[i])].result == true, "business service acknowledged")
        local a = pack(skynet.call(biz[i], "lua", "process", "alice"))
        check(a[1] == "v2" and a[2] == "alice" and a[3] == 2 and a[4] == 1, "v2 with the count carried over", table.unpack(a))
    end
    skynet.error("DONE")
end)
