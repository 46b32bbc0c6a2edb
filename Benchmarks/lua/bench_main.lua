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

skynet.start(function()
    local order = { "call", "send", "fanin", "spawn" }
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
        end
    end
    for _, line in ipairs(medians) do skynet.error(line) end
    skynet.error("BENCH DONE")
    skynet.abort()
end)
