-- business_logic v2: counts requests as v1 did, and gives a player a level (one every 3 requests).
--   process(player) -> "v2", player, count, level
-- State: { counters = { [player] = count }, levels = { [player] = level } }. set_state migrates a
-- v1 state (no `levels`: each level is computed from the count). `counters` keeps v1's shape, so
-- rolling back to v1 keeps the counts.
local M = {}

M.VERSION = "v2"

local counters = {}
local levels = {}

local function level_for(count)
    return 1 + count // 3
end

function M.process(player)
    player = tostring(player)
    local count = (counters[player] or 0) + 1
    counters[player] = count
    levels[player] = level_for(count)
    return M.VERSION, player, count, levels[player]
end

function M.get_state()
    return { counters = counters, levels = levels }
end

function M.set_state(state)
    counters = state.counters or {}
    levels = state.levels or {}
    for player, count in pairs(counters) do  -- from v1: derive the levels
        if levels[player] == nil then
            levels[player] = level_for(count)
        end
    end
end

return M
