local skynet = require "skynet"
local ticks = 0
skynet.start(function()
    skynet.fork(function() while true do skynet.sleep(5) ticks = ticks + 1 end end)
    skynet.dispatch("lua", function() skynet.retpack(ticks) end)
end)
