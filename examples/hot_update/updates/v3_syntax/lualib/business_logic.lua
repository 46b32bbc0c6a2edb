-- business_logic v3 with a syntax error: the reload fails, the old module keeps serving, and
-- hotfix.sh reports the compiler's message and exits non-zero.
local M = {}

M.VERSION = "v3"

function M.process(player)
    return M.VERSION, player,
end

return M
