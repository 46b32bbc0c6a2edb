local skynet = require "skynet"
skynet.start(function()
    local a = skynet.newservice("echo")
    local b = skynet.newservice("echo")
    local req = skynet.request()
    req:add { a, "lua", "add", 1, 2 }
    req:add { b, "lua", "add", 10, 20 }
    req:add { a, "lua", "raise" }
    local got, failed = {}, 0
    for r, resp in req:select() do
        if resp then got[#got + 1] = resp[1] else failed = failed + 1 end
    end
    table.sort(got)
    skynet.error("select", table.concat(got, ","), failed)
end)
