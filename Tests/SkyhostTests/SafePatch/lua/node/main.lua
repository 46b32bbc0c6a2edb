local skynet = require "skynet"
skynet.start(function()
    skynet.newservice("debug_console", "127.0.0.1", "0")
    for line in (skynet.getenv "test_services"):gmatch("[^,]+") do
        local words = {}
        for w in line:gmatch("%S+") do words[#words + 1] = w end
        skynet.newservice(table.unpack(words))
    end
    print("ready")
end)
