local skynet = require "skynet"

-- Two bursts of 3000 messages while the slow service is busy: each is reported once, with the
-- length it has when the service takes from it again.
local function burst(s)
    skynet.send(s, "lua", "block")
    for _ = 1, 3000 do skynet.send(s, "lua", "x") end
    return skynet.call(s, "lua", "count") >= 3001
end

skynet.start(function()
    local s = skynet.newservice("slow")
    local first = burst(s)
    local second = burst(s)
    skynet.error("delivered", first and second)
end)
