-- Runs every benchmark several times and prints one result line per run plus the medians.
-- Skynet API only, so the same files run on Skynet (see Benchmarks/README.md).
local skynet = require "skynet"
require "skynet.manager"  -- skynet.kill

local ROUNDS = tonumber(skynet.getenv "bench_rounds" or "5")
local SCALE = tonumber(skynet.getenv "bench_scale" or "1")
local ONLY = skynet.getenv "bench_only"

local function median(list)
    table.sort(list)
    local n = #list
    if n % 2 == 1 then return list[(n + 1) // 2] end
    return (list[n // 2] + list[n // 2 + 1]) / 2
end

local function rss_kib()
    local f = io.open("/proc/self/statm")
    if not f then return 0 end
    local _, resident = f:read("l"):match("(%d+)%s+(%d+)")
    f:close()
    return tonumber(resident) * 4  -- pages of 4 KiB
end

local function elapsed(start)
    return (skynet.hpc() - start) / 1e9
end

local benches = {}

function benches.call()
    local n = math.floor(1000000 * SCALE)
    local pong = skynet.newservice("bench_pong")
    local start = skynet.hpc()
    for i = 1, n do
        skynet.call(pong, "lua", i)
    end
    local t = elapsed(start)
    skynet.kill(pong)
    return n / t, "calls/s"
end

function benches.send()
    local n = math.floor(5000000 * SCALE)
    local sink = skynet.newservice("bench_sink")
    local start = skynet.hpc()
    skynet.call(sink, "lua", "expect", n)
    local sender = skynet.newservice("bench_sender")
    skynet.send(sender, "lua", "run", sink, n)
    skynet.call(sink, "lua", "wait")
    local t = elapsed(start)
    skynet.kill(sender)
    skynet.kill(sink)
    return n / t, "msgs/s"
end

function benches.fanin()
    local senders = 8
    local per = math.floor(5000000 * SCALE / senders)
    local sink = skynet.newservice("bench_sink")
    skynet.call(sink, "lua", "expect", per * senders)
    local list = {}
    for i = 1, senders do list[i] = skynet.newservice("bench_sender") end
    local start = skynet.hpc()
    for i = 1, senders do skynet.send(list[i], "lua", "run", sink, per) end
    skynet.call(sink, "lua", "wait")
    local t = elapsed(start)
    for i = 1, senders do skynet.kill(list[i]) end
    skynet.kill(sink)
    return per * senders / t, "msgs/s"
end

local function spawn_round()
    local n = math.floor(10000 * SCALE)
    collectgarbage()
    local before = rss_kib()
    local list = {}
    local start = skynet.hpc()
    for i = 1, n do list[i] = skynet.newservice("bench_idle") end
    local t = elapsed(start)
    -- (untimed) each answers one call, as a live service has
    for i = 1, n do skynet.call(list[i], "lua", i) end
    local after = rss_kib()
    for i = 1, n do skynet.kill(list[i]) end
    return n / t, (after - before) / n
end

-- Resident memory is measured in the first round only: later rounds reuse the memory the
-- killed services of earlier rounds gave back to malloc, and would understate it.
local rss_per_service
function benches.spawn()
    local rate, per = spawn_round()
    rss_per_service = rss_per_service or per
    return rate, "spawns/s"
end

-- heavy: resident memory per code-heavy service (bench_heavy.lua: about 200 KB of Lua modules
-- each, as a game agent requires), 1,000 of them started and each called once; the spawn rate is
-- the bench's value. The modules are written to a temporary folder: 20 files of 20 functions.
local HEAVY_MODULES = 20
local heavy_rss
local function heavy_source(m)
    local lines = { "local M = {}" }
    for f = 1, 20 do
        lines[#lines + 1] = string.format([[
function M.f%d(player, items, delta)
    local total, changed = 0, {}
    for id, item in pairs(items) do
        if item.owner == player.id and item.count + delta >= 0 then
            item.count = item.count + delta * %d
            total = total + item.count
            changed[#changed + 1] = { id = id, count = item.count, note = "module %d function %d" }
        end
    end
    if total > player.limit then
        return nil, string.format("player %%s over the limit by %%d", player.name, total - player.limit)
    end
    return total, changed
end]], f, f, m, f)
    end
    lines[#lines + 1] = "return M"
    return table.concat(lines, "\n") .. "\n"
end

function benches.heavy()
    local n = math.max(1, math.floor(1000 * SCALE))
    local dir = os.tmpname() .. ".d"
    os.execute("mkdir -p '" .. dir .. "'")
    local bytes = 0
    for m = 1, HEAVY_MODULES do
        local source = heavy_source(m)
        bytes = bytes + #source
        local f = assert(io.open(dir .. "/bench_heavy_mod" .. m .. ".lua", "w"))
        f:write(source)
        f:close()
    end
    collectgarbage()
    local before = rss_kib()
    local list = {}
    local start = skynet.hpc()
    for i = 1, n do list[i] = skynet.newservice("bench_heavy", dir, HEAVY_MODULES) end
    local t = elapsed(start)
    for i = 1, n do skynet.call(list[i], "lua", i) end
    local per = (rss_kib() - before) / n
    heavy_rss = heavy_rss or per
    for i = 1, n do skynet.kill(list[i]) end
    for m = 1, HEAVY_MODULES do os.remove(dir .. "/bench_heavy_mod" .. m .. ".lua") end
    os.remove(dir)
    skynet.error(string.format("BENCH heavy: %d KB of module source per service", bytes // 1024))
    return n / t, "heavy spawns/s"
end

-- inject: 1,000 successive debug RUN of a small hotfix (what the console's inject sends) into
-- one service, bench_inject.lua, once holding nothing and once holding a 30 MiB heap; the median
-- time of one inject. The small service's figure is the bench's value, the 30 MiB one is logged
-- as inject_30MiB.
local INJECT_HOTFIX = [[
local handles = _P.lua.handles
local n = ...
handles.foo = function() return n end
print("patched", n)
]]

local function inject_median(heap_mib)
    local n = math.max(1, math.floor(1000 * SCALE))
    local target = skynet.newservice("bench_inject", heap_mib)
    local heap_kib = skynet.call(target, "lua", "heap")
    local times = {}
    for i = 1, n do
        local start = skynet.hpc()
        local ok, output = skynet.call(target, "debug", "RUN", INJECT_HOTFIX, "bench_hotfix.lua", i)
        times[i] = skynet.hpc() - start
        assert(ok and output == "patched\t" .. i, output)
    end
    assert(skynet.call(target, "lua", "foo") == n, "the hotfix did not take")
    skynet.kill(target)
    return median(times), heap_kib
end

local inject_30mib = {}
function benches.inject()
    local big, heap_kib = inject_median(30)
    inject_30mib[#inject_30mib + 1] = big
    skynet.error(string.format("BENCH inject_30MiB round %d: %.0f ns/inject (target heap %.1f MiB)",
        #inject_30mib, big, heap_kib / 1024))
    return inject_median(0), "ns/inject"
end

-- reload: the updater's update_module of one module in 1,000 services (bench_reload.lua), timed
-- until every service has acknowledged; every round checks that each service runs the new version.
-- With bench_reload_hook = noop or undump the services do only part of a reload (see
-- bench_reload_target.lua) and keep the old code, by design.
local reload_driver, reload_rounds = nil, 0
local RELOAD_HOOK = skynet.getenv "bench_reload_hook" or "reload"
function benches.reload()
    local n = math.max(1, math.floor(1000 * SCALE))
    reload_driver = reload_driver or skynet.newservice("bench_reload", n)
    reload_rounds = reload_rounds + 1
    local us, acknowledged, current = skynet.call(reload_driver, "lua", "run", reload_rounds)
    if RELOAD_HOOK ~= "reload" then
        return us, string.format("us/round of %d services (hook %s: no reload, old code kept)", n, RELOAD_HOOK)
    end
    if acknowledged ~= n or current ~= n then  -- e.g. Skynet's code cache: stale code
        skynet.error(string.format("BENCH reload round %d: STALE: %d of %d services acknowledged, %d run the new code",
            reload_rounds, acknowledged, n, current))
    end
    if reload_rounds == ROUNDS then
        skynet.call(reload_driver, "lua", "stop")
        skynet.kill(reload_driver)
    end
    return us, "us/reload of " .. n .. " services"
end

-- Reload in place (Skyhost only; skipped on Skynet, which has none):
-- reload_in_place: a debug RELOAD to each of 1,000 services of one script at once, as the
-- console's reloadall does, timed until all have answered that their new state serves (the same
-- module as `reload`, the services started from bench_reload_service.lua);
-- reload_queued: one service sent a RELOAD followed at once by 10,000 messages, timed until a
-- call queued behind them is answered: the new state has started and served what was held
-- meanwhile (its count, handed over, says none was lost).
local function has_reload_in_place()
    local probe = skynet.newservice("bench_idle")
    local ok = pcall(skynet.call, probe, "debug", "SUPPORT", "lua")
    local supported = ok and pcall(skynet.call, probe, "debug", "RELOAD", {}) and true or false
    skynet.kill(probe)
    return supported
end

local in_place_driver, in_place_rounds = nil, 0
function benches.reload_in_place()
    local n = math.max(1, math.floor(1000 * SCALE))
    in_place_driver = in_place_driver or skynet.newservice("bench_reload", n, "in_place")
    in_place_rounds = in_place_rounds + 1
    local us, acknowledged, current = skynet.call(in_place_driver, "lua", "run", in_place_rounds)
    if acknowledged ~= n or current ~= n then
        skynet.error(string.format("BENCH reload_in_place round %d: STALE: %d of %d reloaded, %d run the new code",
            in_place_rounds, acknowledged, n, current))
    end
    if in_place_rounds == ROUNDS then
        skynet.call(in_place_driver, "lua", "stop")
        skynet.kill(in_place_driver)
    end
    return us, "us/reload in place of " .. n .. " services"
end

function benches.reload_queued()
    local n = math.floor(10000 * SCALE)
    local dir = os.tmpname() .. ".d"
    os.execute("mkdir -p '" .. dir .. "'")
    local f = assert(io.open(dir .. "/bench_reload_mod.lua", "w"))
    f:write("return { version = 1 }\n")
    f:close()
    local target = skynet.newservice("bench_reload_service", dir)
    local start = skynet.hpc()
    skynet.send(target, "debug", "RELOAD", {})
    for _ = 1, n do skynet.send(target, "lua", "push") end
    local count = skynet.call(target, "lua", "count")
    local us = (skynet.hpc() - start) / 1000
    local patches = skynet.call(target, "debug", "PATCHES")
    assert(#patches == 1 and patches[1].kind == "reload_service", "the reload failed")
    assert(count == n, "messages were lost")
    skynet.kill(target)
    os.remove(dir .. "/bench_reload_mod.lua")
    os.remove(dir)
    return us, "us from reload to serving, " .. n .. " messages queued behind it"
end

-- shared_sharedata, shared_sharetable, shared_copy: 100 services that each read one big table
-- (about 10 MB as a Lua table: 40,000 records), shared through sharedata, through sharetable, or
-- as a copy in each service (sent in a message); then one update of the whole table, timed until
-- every reader reads the new version (a sharetable reader takes it at its sharetable.update, as
-- a sharetable service does when told). The update's milliseconds are the bench's value; the
-- first round also logs the resident memory the readers and the table added.
local SHARED_READERS = 100
local SHARED_RECORDS = 40000
local shared_rss = {}

local function big_table(version)
    local records = {}
    for i = 1, math.floor(SHARED_RECORDS * SCALE) do
        records[i] = { id = i, name = "item " .. i .. " of version " .. version, price = i * 1.5 + version,
            tags = { "weapon", "level " .. (i % 60), i % 7 == 0 and "rare" or "common" } }
    end
    return { version = version, records = records }
end

local function shared_round(api)
    local publish
    if api == "sharedata" then
        local sharedata = require "skynet.sharedata"
        publish = function(t, first)
            if first then sharedata.new("big", t) else sharedata.update("big", t) end
        end
    elseif api == "sharetable" then
        local sharetable = require "skynet.sharetable"
        publish = function(t) sharetable.loadtable("big", t) end
    end
    local heap_before = collectgarbage("count")
    local v1 = big_table(1)
    local table_kib = collectgarbage("count") - heap_before
    collectgarbage()
    local before = rss_kib()
    local readers = {}
    for i = 1, SHARED_READERS do readers[i] = skynet.newservice("bench_shared_reader", api) end
    if publish then
        publish(v1, true)
    else
        for i = 1, SHARED_READERS do skynet.call(readers[i], "lua", "set", v1) end
    end
    v1 = nil  -- luacheck: ignore 311 (let the builder's copy go before memory is read)
    local expected
    for i = 1, SHARED_READERS do
        local sum = skynet.call(readers[i], "lua", "read")
        assert(expected == nil or sum == expected, "a reader read another table")
        expected = sum
    end
    collectgarbage()
    local rss = rss_kib() - before
    local v2 = big_table(2)
    local start = skynet.hpc()
    if publish then
        publish(v2)
    else
        for i = 1, SHARED_READERS do skynet.send(readers[i], "lua", "set", v2) end
    end
    for i = 1, SHARED_READERS do
        while skynet.call(readers[i], "lua", "version") ~= 2 do skynet.sleep(0) end
    end
    local ms = elapsed(start) * 1000
    for i = 1, SHARED_READERS do skynet.kill(readers[i]) end
    if api == "sharedata" then require("skynet.sharedata").delete("big") end
    if not shared_rss[api] then
        shared_rss[api] = rss
        skynet.error(string.format("BENCH shared_%s: %d readers of a %.1f MB table added %.1f MiB resident "
            .. "(%.0f KiB per reader)", api, SHARED_READERS, table_kib / 1024, rss / 1024, rss / SHARED_READERS))
    end
    return ms, "ms/update reaching " .. SHARED_READERS .. " readers"
end

-- redis: GET round trips through skynet.db.redis, 10 coroutines sharing one connection (as a
-- service's coroutines share it), against the redis-server on bench_redis_port.
local REDIS_PORT = tonumber(skynet.getenv "bench_redis_port" or "")

function benches.redis()
    local redis = require "skynet.db.redis"
    local db = redis.connect { host = "127.0.0.1", port = REDIS_PORT }
    db:set("bench", "value")
    local n, workers = math.floor(200000 * SCALE), 10
    local done, me = 0, coroutine.running()
    local start = skynet.hpc()
    for _ = 1, workers do
        skynet.fork(function()
            for _ = 1, n // workers do
                assert(db:get("bench") == "value")
            end
            done = done + 1
            if done == workers then skynet.wakeup(me) end
        end)
    end
    skynet.wait(me)
    local t = elapsed(start)
    db:disconnect()
    return n / t, "GETs/s"
end

-- gate: echo round trips through the gate service, 1,000 clients (connections of this service)
-- each sending 2-byte framed packets of 32 bytes one after the other, an agent per client
-- answering; the clients connect and get their agents before the clock starts.
local GATE_CLIENTS = 1000

function benches.gate()
    local socket = require "skynet.socket"
    local watchdog = skynet.newservice("bench_gate_watchdog")
    local port = skynet.call(watchdog, "lua", "open")
    local fds = {}
    for i = 1, GATE_CLIENTS do
        fds[i] = assert(socket.open("127.0.0.1", port))
    end
    while skynet.call(watchdog, "lua", "agents") < GATE_CLIENTS do skynet.sleep(1) end
    local per = math.max(1, math.floor(100 * SCALE))
    local body = string.rep("x", 32)
    local packet = string.pack(">s2", body)
    local done, me = 0, coroutine.running()
    local start = skynet.hpc()
    for i = 1, GATE_CLIENTS do
        skynet.fork(function()
            local fd = fds[i]
            for _ = 1, per do
                socket.write(fd, packet)
                assert(socket.read(fd, #packet) == packet)
            end
            done = done + 1
            if done == GATE_CLIENTS then skynet.wakeup(me) end
        end)
    end
    skynet.wait(me)
    local t = elapsed(start)
    for i = 1, GATE_CLIENTS do socket.close(fds[i]) end
    skynet.kill(watchdog)
    return GATE_CLIENTS * per / t, "echoes/s"
end

function benches.shared_sharedata() return shared_round("sharedata") end
function benches.shared_sharetable() return shared_round("sharetable") end
function benches.shared_copy() return shared_round("copy") end

skynet.start(function()
    local order = { "call", "send", "fanin", "spawn", "heavy", "inject", "reload", "reload_in_place", "reload_queued",
        "shared_sharedata", "shared_sharetable", "shared_copy", "gate", "redis" }
    if not REDIS_PORT then
        order[#order] = nil
        if ONLY == "redis" then skynet.error("BENCH redis: skipped (set bench_redis_port)") end
    end
    if (not ONLY or ONLY:find("^reload_")) and not has_reload_in_place() then
        skynet.error("BENCH reload_in_place, reload_queued: skipped (no reload in place here)")
        table.remove(order, 9)
        table.remove(order, 8)
    end
    local medians = {}
    for _, name in ipairs(order) do
        if not ONLY or ONLY == name then
            local results, unit = {}, nil
            for round = 1, ROUNDS do
                local value
                value, unit = benches[name]()
                results[round] = value
                skynet.error(string.format("BENCH %s round %d: %.0f %s", name, round, value, unit))
            end
            medians[#medians + 1] = string.format("MEDIAN %s %.0f %s", name, median(results), unit)
            if name == "spawn" then
                medians[#medians + 1] = string.format("FIRST-ROUND rss_per_idle_service %.1f KiB", rss_per_service)
            end
            if name == "heavy" then
                medians[#medians + 1] = string.format("FIRST-ROUND rss_per_heavy_service %.1f KiB", heavy_rss)
            end
            if name == "inject" then
                medians[#medians + 1] = string.format("MEDIAN inject_30MiB %.0f ns/inject", median(inject_30mib))
            end
        end
    end
    for _, line in ipairs(medians) do skynet.error(line) end
    skynet.error("BENCH DONE")
    skynet.sleep(100)  -- Skynet's abort does not wait for its logger to write the lines above
    skynet.abort()
end)
