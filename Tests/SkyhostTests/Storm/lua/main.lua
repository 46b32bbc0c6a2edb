local skynet = require "skynet"
local TOTAL = tonumber(skynet.getenv "storm_messages")
local QUIET = tonumber(skynet.getenv "storm_quiet")
local INJECTS = tonumber(skynet.getenv "storm_injects")
local RELOADS = tonumber(skynet.getenv "storm_reloads")
local WORKERS, CLIENTS, WINDOW, EVERY = 4, 4, 16, 250

local progress, waiting, waiting_for = 0, nil, 0
local function write_pair(version)
    local path = SERVICE_PATH .. "storm_pair.lua"
    local f = assert(io.open(path .. ".tmp", "w"))
    f:write(string.format("return { left = function() return %d end, right = function() return %d end }\n",
        version, -version - 1))
    f:close()
    assert(os.rename(path .. ".tmp", path))
end

-- Runs every client with `quota` hits per worker; returns the clients' stats and seconds.
local function run_load(clients, workers, quota, report)
    local results, left = {}, #clients
    local me = coroutine.running()
    local t0 = skynet.hpc()
    for i, c in ipairs(clients) do
        skynet.fork(function()
            results[i] = skynet.call(c, "lua", "run", workers, quota, WINDOW, report and skynet.self(), EVERY)
            left = left - 1
            if left == 0 then skynet.wakeup(me) end
        end)
    end
    skynet.wait(me)
    return results, (skynet.hpc() - t0) / 1e9
end

local function wait_progress(n)
    if progress >= n then return end
    waiting, waiting_for = coroutine.running(), n
    skynet.wait(waiting)
end

local storm
skynet.start(function()
    skynet.dispatch("lua", function(session, source, cmd, n)
        if cmd == "progress" then
            progress = progress + n
            if waiting and progress >= waiting_for then
                local co = waiting
                waiting = nil
                skynet.wakeup(co)
            end
        elseif cmd == "_reload_module" then
            skynet.retpack("no modules to reload here")
        end
    end)
    skynet.fork(storm)	-- (the node has booted once this start function returns)
end)

function storm()
    write_pair(0)
    skynet.newservice("updater", "3000")
    local workers, clients = {}, {}
    for i = 1, WORKERS do workers[i] = skynet.newservice("storm_worker") end
    for i = 1, CLIENTS do clients[i] = skynet.newservice("storm_client") end
    local per_pair = CLIENTS * WORKERS

    -- A warm-up (coroutine pools, tables at their working size), then the quiet run.
    local warmup = run_load(clients, workers, 4096)
    local quiet, quiet_s = run_load(clients, workers, QUIET // per_pair)
    local others = (4096 + 2 * (QUIET // per_pair)) * per_pair	-- warm-up and quiet runs

    -- The storm: op k (1..INJECTS + RELOADS) starts once k/(ops+1) of 90% of the messages
    -- are answered; every (INJECTS // RELOADS + 1)-th op is a reload, the others injects
    -- spread over the workers in turn.
    local quota = TOTAL // per_pair
    local storm_messages = quota * per_pair
    local ops = INJECTS + RELOADS
    local stride = ops // RELOADS
    local inject_version, module_version = 0, 0
    local installed = {}	-- worker -> the inject version it runs
    for i = 1, WORKERS do installed[i] = 0 end
    local bad_injects, bad_reloads = {}, {}
    local failed_injects, failed_reloads = 0, 0	-- broken patches, refused as they should be
    local progress_at_last_op
    local patcher_done, patcher_waiter = false, nil
    local patch = [[
        local v = math.tointeger(...)
        local h = _P.lua.handles
        print(h.left())
        h.left = function() return v end
        h.right = function() return -v - 1 end
    ]]
    -- Broken patches: one that does not compile, one that raises before it changes anything.
    local broken_patches = {
        "local h = _P.lua.handles\nh.left = = function() return -5 end",
        "error('broken on purpose')\n_P.lua.handles.left = function() return -5 end",
    }

    local function reload(version)
        write_pair(version)
        local results, report = skynet.call(".updater", "lua", "update_module", "storm_pair")
        local all = report:sub(1, 4) == "OK: "
        for _, w in ipairs(workers) do
            local r = results[skynet.address(w)]
            all = all and r and r.result == true
        end
        return all, report
    end

    -- Every BROKEN_EVERY-th good inject is followed by a broken one on the same worker, and
    -- every tenth good reload by a reload of a file that does not compile: each must be
    -- refused and change nothing (the next good patch sees the version before it, and no
    -- answer carries a broken version).
    local BROKEN_EVERY = 20
    skynet.fork(function()
        local injects, reloads = 0, 0
        for k = 1, ops do
            wait_progress(math.floor(storm_messages * 0.9 * k / (ops + 1)))
            if k % stride == 0 and reloads < RELOADS or injects == INJECTS then
                reloads = reloads + 1
                module_version = module_version + 1
                local all, report = reload(module_version)
                if not all then bad_reloads[#bad_reloads + 1] = report end
                if reloads % 10 == 0 then
                    local f = assert(io.open(SERVICE_PATH .. "storm_pair.lua", "w"))
                    f:write("return { left = function() return -7 end, right = \n")
                    f:close()
                    local results, report = skynet.call(".updater", "lua", "update_module", "storm_pair")	-- luacheck: ignore 421
                    local refused = report:sub(1, 8) == "FAILED: "
                    for _, w in ipairs(workers) do
                        refused = refused and results[skynet.address(w)].result == false
                    end
                    if refused then failed_reloads = failed_reloads + 1
                    else bad_reloads[#bad_reloads + 1] = "broken reload: " .. report end
                end
            else
                injects = injects + 1
                inject_version = inject_version + 1
                local i = (injects - 1) % WORKERS + 1
                local ok, output = skynet.call(workers[i], "debug", "RUN", patch, "storm_patch.lua", tostring(inject_version))
                if not ok or output ~= tostring(installed[i]) then
                    bad_injects[#bad_injects + 1] = tostring(ok) .. " " .. tostring(output)
                end
                installed[i] = inject_version
                if injects % BROKEN_EVERY == 0 then
                    local source = broken_patches[injects // BROKEN_EVERY % 2 + 1]
                    local ok, output = skynet.call(workers[i], "debug", "RUN", source, "storm_broken.lua")	-- luacheck: ignore 421
                    if ok == false and (output:find("unexpected symbol", 1, true) or output:find("broken on purpose", 1, true)) then
                        failed_injects = failed_injects + 1
                    else
                        bad_injects[#bad_injects + 1] = "broken inject: " .. tostring(ok) .. " " .. tostring(output)
                    end
                end
            end
        end
        progress_at_last_op = progress
        patcher_done = true
        if patcher_waiter then skynet.wakeup(patcher_waiter) end
    end)
    local storm, storm_s = run_load(clients, workers, quota, true)	-- luacheck: ignore 431
    if not patcher_done then
        patcher_waiter = coroutine.running()
        skynet.wait(patcher_waiter)
    end
    -- A second quiet run: the storm is compared with both (other tests of a parallel run
    -- may share the machine with one and not the other).
    local quiet2, quiet2_s = run_load(clients, workers, QUIET // per_pair)

    -- The counts.
    local sent, acked, disorder, torn, backwards = 0, 0, 0, 0, 0
    local seen_injects, seen_modules = {}, {}
    for _, run in ipairs { warmup, quiet, storm, quiet2 } do
        for i = 1, CLIENTS do
            local s = run[i]
            sent, acked = sent + s.sent, acked + s.acked
            disorder, torn, backwards = disorder + s.disorder, torn + s.torn, backwards + s.backwards
            for _, v in ipairs(s.injects) do seen_injects[v] = true end
            for _, v in ipairs(s.modules) do seen_modules[v] = true end
        end
    end
    local served, finals_ok = 0, true
    for i, w in ipairs(workers) do
        local n, a, c = skynet.call(w, "lua", "state")
        served = served + n
        finals_ok = finals_ok and a == installed[i] and c == module_version
    end
    local function count(set, from)
        local n = 0
        for v in pairs(set) do if v >= from then n = n + 1 end end
        return n
    end
    skynet.error(string.format("STORM expected=%d sent=%d acked=%d served=%d disorder=%d torn=%d backwards=%d",
        others + storm_messages, sent, acked, served, disorder, torn, backwards))
    skynet.error(string.format("STORM injects=%d reloads=%d bad_injects=%d bad_reloads=%d finals=%s",
        inject_version, module_version, #bad_injects, #bad_reloads, tostring(finals_ok)))
    local broken_served = 0
    for _, set in ipairs { seen_injects, seen_modules } do
        for v in pairs(set) do if v < 0 then broken_served = broken_served + 1 end end
    end
    skynet.error(string.format("STORM refused_injects=%d refused_reloads=%d broken_served=%d",
        failed_injects, failed_reloads, broken_served))
    for _, b in ipairs(bad_injects) do skynet.error("STORM bad inject", b) end
    for _, b in ipairs(bad_reloads) do skynet.error("STORM bad reload", b) end
    skynet.error(string.format("STORM seen_injects=%d seen_modules=%d last_op_at=%d of %d",
        count(seen_injects, 1), count(seen_modules, 1), progress_at_last_op, storm_messages))
    skynet.error(string.format("STORM quiet_messages=%d quiet_s=%.3f quiet2_s=%.3f storm_messages=%d storm_s=%.3f",
        (QUIET // per_pair) * per_pair, quiet_s, quiet2_s, storm_messages, storm_s))
    skynet.error("STORM DONE")
end
