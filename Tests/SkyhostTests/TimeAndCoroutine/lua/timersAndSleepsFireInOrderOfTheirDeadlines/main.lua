local skynet = require "skynet"
skynet.start(function()
    local order = {}
    skynet.timeout(20, function() order[#order + 1] = "t20" end)
    skynet.timeout(5, function() order[#order + 1] = "t5" end)
    skynet.timeout(0, function() order[#order + 1] = "t0" end)
    local before = skynet.now()
    skynet.sleep(30)
    local slept = skynet.now() - before
    skynet.error("order", table.concat(order, ","))
    skynet.error("slept at least 30cs", slept >= 30, slept < 200)
    local t = skynet.time()
    skynet.error("time", math.abs(t - (skynet.starttime() + skynet.now() / 100)) < 0.02)
    skynet.error(string.format("wall clock %.2f", t))
    skynet.error("hpc", math.type(skynet.hpc()))
end)
