local skynet = require "skynet"
skynet.start(function()
    local spinner = skynet.newservice("spinner")
    skynet.fork(function()
        skynet.error("spinning")
        skynet.call(spinner, "lua", "spin")
    end)
end)
