-- business_logic v1: counts each player's requests.
--   process(player) -> "v1", player, count
-- State (get_state / set_state): { counters = { [player] = count } }. Later versions keep the
-- `counters` field as it is, so that a rollback to this version keeps the counts.
local M = {}

M.VERSION = "v1"

local counters = {}

function M.process(player)
    player = tostring(player)
    counters[player] = (counters[player] or 0) + 1
    return M.VERSION, player, counters[player]
end

function M.get_state()
    return { counters = counters }
end

function M.set_state(state)
    counters = state.counters or {}
end

return M
