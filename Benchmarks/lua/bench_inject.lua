-- The target of the `inject` bench: serviceA of the inject walkthrough (a `handles` table used
-- by its lua dispatch function), optionally holding a heap of HEAP_MIB MiB of live Lua objects
-- (small tables and strings, as a game service's state would be), so that the bench shows
-- whether an inject costs time in proportion to the target's heap.
--
--   skynet.newservice("bench_inject", heap_mib)
--   skynet.call(addr, "lua", "foo")    -> what handles.foo returns (the hotfix changes it)
--   skynet.call(addr, "lua", "heap")   -> the Lua heap of this service in KiB
local skynet = require "skynet"

local HEAP_MIB = tonumber((...)) or 0

local handles = {}
local heap = {}	-- luacheck: ignore 241 (held only so that the heap stays live)

handles.foo = function()
    return 0
end

-- Adds live objects until the heap has grown by `mib` MiB (garbage not counted).
local function fill(mib)
    local goal = collectgarbage "count" + mib * 1024
    local i = 0
    repeat
        while collectgarbage "count" < goal do
            for _ = 1, 1000 do
                i = i + 1
                heap[i] = { id = i, name = "item" .. i, level = i % 100 }
            end
        end
        collectgarbage "collect"
    until collectgarbage "count" >= goal
end

skynet.start(function()
    if HEAP_MIB > 0 then
        fill(HEAP_MIB)
    end
    skynet.dispatch("lua", function(session, source, cmd, ...)
        if cmd == "heap" then
            skynet.ret(skynet.pack(collectgarbage "count"))
            return
        end
        local handle = handles[cmd]
        skynet.ret(skynet.pack(handle and handle(...)))
    end)
end)
