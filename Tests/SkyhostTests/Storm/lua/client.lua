local skynet = require "skynet"
local workers, index, quota, window, controller, every
local sent, expected, last_a, last_c
local acked, target, unreported, respond
local stats
local function start(list, q, w, ctl, e)
    workers, quota, window, controller, every = list, q, w, ctl, e
    index, sent, expected, last_a, last_c = {}, {}, {}, {}, {}
    acked, target, unreported = 0, q * #list, 0
    stats = { disorder = 0, torn = 0, backwards = 0, injects = {}, modules = {} }
    for i, h in ipairs(workers) do
        index[h], sent[i], expected[i], last_a[i], last_c[i] = i, 0, 1, -1, -1
    end
    for i, h in ipairs(workers) do
        for _ = 1, math.min(window, quota) do
            sent[i] = sent[i] + 1
            skynet.send(h, "lua", "hit", sent[i])
        end
    end
end
local function ack(source, seq, a, b, c, d)
    local i = index[source]
    if seq ~= expected[i] then stats.disorder = stats.disorder + 1 end
    expected[i] = seq + 1
    if b ~= -a - 1 or d ~= -c - 1 then stats.torn = stats.torn + 1 end
    if a < last_a[i] or c < last_c[i] then stats.backwards = stats.backwards + 1 end
    last_a[i], last_c[i] = a, c
    stats.injects[a], stats.modules[c] = true, true
    acked = acked + 1
    if sent[i] < quota then
        sent[i] = sent[i] + 1
        skynet.send(source, "lua", "hit", sent[i])
    end
    if controller then
        unreported = unreported + 1
        if unreported == every or acked == target then
            skynet.send(controller, "lua", "progress", unreported)
            unreported = 0
        end
    end
    if acked == target then
        local total = 0
        for i = 1, #workers do total = total + sent[i] end	-- luacheck: ignore 421
        local injects, modules = {}, {}
        for v in pairs(stats.injects) do injects[#injects + 1] = v end
        for v in pairs(stats.modules) do modules[#modules + 1] = v end
        respond(true, { sent = total, acked = acked, disorder = stats.disorder, torn = stats.torn,
            backwards = stats.backwards, injects = injects, modules = modules })
    end
end
skynet.start(function()
    skynet.dispatch("lua", function(session, source, cmd, ...)
        if cmd == "ack" then
            ack(source, ...)
        elseif cmd == "run" then
            respond = skynet.response()
            start(...)
        elseif cmd == "_reload_module" then
            skynet.retpack("no modules to reload here")
        end
    end)
end)
