local skynet = require "skynet"
skynet.start(function()
    local n = 0
    for i = 1, 1000 do n = n + i end
    skynet.error("node", skynet.getenv("which"), n)
end)
