local skynet = require "skynet"
skynet.start(function()
    local b = skynet.newservice("busy")
    skynet.error("task", skynet.call(b, "lua", "q"))
    local stat = skynet.call(b, "debug", "STAT")
    skynet.error("debug stat", stat.task, stat.mqlen, stat.message > 0)
    skynet.error("debug mem", type(skynet.call(b, "debug", "MEM")))
end)
