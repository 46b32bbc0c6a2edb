local skynet = require "skynet"
skynet.start(function()
    local w = skynet.newservice("worker", "a", 7)
    skynet.error("worker", skynet.call(w, "lua", "state"))
end)
