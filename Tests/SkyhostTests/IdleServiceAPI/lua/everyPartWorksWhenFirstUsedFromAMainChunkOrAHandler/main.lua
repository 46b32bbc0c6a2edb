local skynet = require "skynet"
skynet.start(function()
    local w = skynet.newservice("worker")
    skynet.error("hello", skynet.call(w, "lua", "hello"))
    skynet.error("kill", skynet.call(w, "lua", "kill"))
    skynet.error("exit", pcall(skynet.call, w, "lua", "exit"))
    skynet.error("gone", pcall(skynet.call, w, "lua", "hello"))
end)
