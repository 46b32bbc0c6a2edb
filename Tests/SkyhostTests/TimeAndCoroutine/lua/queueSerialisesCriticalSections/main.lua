local skynet = require "skynet"
local queue = require "skynet.queue"
skynet.start(function()
    local cs = queue()
    local trace = {}
    for i = 1, 3 do
        skynet.fork(function()
            cs(function()
                trace[#trace + 1] = "in" .. i
                skynet.sleep(1)
                trace[#trace + 1] = "out" .. i
            end)
        end)
    end
    skynet.sleep(20)
    skynet.error("trace", table.concat(trace, ","))
end)
