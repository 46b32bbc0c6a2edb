local skynet = require "skynet"
skynet.start(function()
    skynet.newservice("debug_console", "127.0.0.1", "0")
    skynet.newservice("serviceA")
    for name in (skynet.getenv "test_services" or ""):gmatch("%S+") do
        skynet.newservice(name)
    end
end)
