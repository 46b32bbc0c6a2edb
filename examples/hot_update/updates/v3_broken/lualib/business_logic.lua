-- business_logic v3, broken: it loads, but every request raises (a typo: `counter` for
-- `counters`). Applied with `hotfix.sh node1 service business_service`, the update itself
-- succeeds; checking the service afterwards shows the breakage, and rollback.sh brings v1 back.
local M = {}

M.VERSION = "v3"

local counters = {}

function M.process(player)
    player = tostring(player)
    counters[player] = (counter[player] or 0) + 1
    return M.VERSION, player, counters[player]
end

function M.get_state()
    return { counters = counters }
end

function M.set_state(state)
    counters = state.counters or {}
end

return M
