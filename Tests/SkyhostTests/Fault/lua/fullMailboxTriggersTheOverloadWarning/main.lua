local skynet = require "skynet"
skynet.start(function()
    local s = skynet.newservice("slow")
    skynet.send(s, "lua", "block")
    for i = 1, 3000 do skynet.send(s, "lua", "x") end
    skynet.error("delivered", skynet.call(s, "lua", "count") >= 3001)
end)
