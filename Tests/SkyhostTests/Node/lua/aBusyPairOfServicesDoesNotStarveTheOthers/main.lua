local skynet = require "skynet"
skynet.start(function()
    local pong = skynet.newservice("pong")
    local ticker = skynet.newservice("ticker")
    local before = skynet.call(ticker, "lua")
    local t0 = skynet.now()
    while skynet.now() - t0 < 100 do skynet.call(pong, "lua") end
    local during = skynet.call(ticker, "lua") - before
    skynet.error("ticks during the ping loop", during >= 10, during)
end)
