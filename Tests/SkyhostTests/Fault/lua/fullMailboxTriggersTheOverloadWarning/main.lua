local skynet = require "skynet"

-- Two bursts of 3000 messages while the slow service is busy: each is reported once, with the
-- length it has when the service takes from it again. The slow service stays busy until the
-- burst is all sent (a file this service creates then).
local function burst(s, round)
    local flag = skynet.getenv("flag_file") .. round
    skynet.call(s, "lua", "block", flag)  -- answered as the slow service starts being busy
    for _ = 1, 3000 do skynet.send(s, "lua", "x") end
    io.open(flag, "w"):close()
    return skynet.call(s, "lua", "count") >= 3001
end

skynet.start(function()
    local s = skynet.newservice("slow")
    local first = burst(s, 1)
    local second = burst(s, 2)
    skynet.error("delivered", first and second)
end)
