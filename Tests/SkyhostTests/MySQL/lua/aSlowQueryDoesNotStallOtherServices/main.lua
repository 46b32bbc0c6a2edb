local skynet = require "skynet"
require "skynet.manager"
local checks = require "checks"
local check, q = checks.check, checks.q
skynet.start(function()
    local mgr = skynet.uniqueservice("mysql_mgr")	-- luacheck: ignore 211
    local warm = 0
    for _ = 1, 3 do skynet.fork(function() q("SELECT 1") warm = warm + 1 end) end
    while warm < 3 do skynet.sleep(1) end  -- the three connections are open
    local echo = skynet.newservice("echo")
    local sleeping, slept, results = 2, {}, {}
    for i = 1, 2 do
        skynet.fork(function()
            local t0 = skynet.hpc()
            results[i] = q("SELECT SLEEP(2) AS s")
            slept[i] = (skynet.hpc() - t0) / 1e9
            sleeping = sleeping - 1
        end)
    end
    -- Until both sleeps run on the server (asked on the third connection).
    local running = "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE INFO LIKE 'SELECT SLEEP(2)%'"
    while tonumber(q(running)[1].n) < 2 do skynet.sleep(1) end
    local pings, worst, quick = 0, 0, nil
    local t_first = skynet.hpc()
    while sleeping > 0 do
        local t = skynet.hpc()
        skynet.call(echo, "lua", "ping")
        local dt = (skynet.hpc() - t) / 1e9
        if dt > worst then worst = dt end
        pings = pings + 1
        if pings == 100 then
            local t1 = skynet.hpc()
            quick = q("SELECT 7 AS seven")[1].seven
            quick = quick == 7 and (skynet.hpc() - t1) / 1e9
        end
    end
    local span = (skynet.hpc() - t_first) / 1e9
    skynet.error(string.format("PINGS %d in %.2f s during 2 x SLEEP(2), worst round trip %.4f s, SELECT 7 took %s s",
        pings, span, worst, tostring(quick)))
    check(slept[1] >= 1.9 and slept[2] >= 1.9 and results[1][1].s == 0 and results[2][1].s == 0,
        "both SLEEP(2) ran", slept[1], slept[2])
    check(math.max(slept[1], slept[2]) < 3.5, "at the same time")
    check(span >= 1.5, "the pings ran during the sleep", span)
    check(pings >= 200, "other services kept serving", pings)
    check(worst < 0.5, "no round trip waited for the statements", worst)
    check(quick and quick < 1, "mysql_mgr answered another statement during the sleep", quick)
    skynet.error("DONE")
end)
