local skynet = require "skynet"
require "skynet.manager"
local checks = require "checks"
local check, install = checks.check, checks.install
skynet.start(function()
    skynet.newservice("updater")
    local biz, clients = {}, {}
    for i = 1, 3 do biz[i] = skynet.newservice("business_service") end
    for i = 1, 4 do clients[i] = skynet.newservice("client") end
    for i = 1, 4 do skynet.call(clients[i], "lua", "start", biz) end
    local function answered()
        local n = 0
        for i = 1, 4 do n = n + skynet.call(clients[i], "lua", "answered") end
        return n
    end
    -- Before each update and after the last, until 30 more answers have come.
    local function traffic()
        local goal = answered() + 30
        while answered() < goal do skynet.sleep(1) end
    end
    local plan = { "v2", "v1", "v2" }
    for _, version in ipairs(plan) do
        traffic()
        install(version)
        local updated = skynet.call(".updater", "lua", "update_service", "business_service")
        check(updated == 3, "update to", version)
    end
    traffic()
    local per_target = {}
    for i = 1, 4 do
        local answers = skynet.call(clients[i], "lua", "stop")
        for t = 1, 3 do
            per_target[t] = per_target[t] or {}
            for _, a in ipairs(answers[t]) do table.insert(per_target[t], a) end
        end
    end
    for t = 1, 3 do
        local list = per_target[t]
        local by_count = {}
        local failures, malformed = 0, 0
        for _, a in ipairs(list) do
            if not a[1] then
                failures = failures + 1
            else
                local version, player, count, level = a[2], a[3], a[4], a[5]
                local whole = player == "p" and math.type(count) == "integer"
                    and ((version == "v1" and a.n == 4) or (version == "v2" and a.n == 5 and level == 1 + count // 3))
                if not whole or by_count[count] then malformed = malformed + 1 end
                by_count[count] = version
            end
        end
        -- counts 1..#list, each once; versions change only at the updates, in plan order
        local gaps, changes, sequence = 0, 0, { "v1" }
        local previous = "v1"
        for c = 1, #list do
            local v = by_count[c]
            if not v then gaps = gaps + 1
            elseif v ~= previous then
                changes = changes + 1
                sequence[#sequence + 1] = v
                previous = v
            end
        end
        skynet.error(string.format("TARGET %d answers=%d failures=%d malformed=%d gaps=%d sequence=%s",
            t, #list, failures, malformed, gaps, table.concat(sequence, ">")))
        check(#list > 300 and failures == 0 and malformed == 0 and gaps == 0, "every request answered once, whole")
        check(table.concat(sequence, ">") == "v1>v2>v1>v2", "the versions changed at each update only")
    end
    skynet.error("DONE")
end)
