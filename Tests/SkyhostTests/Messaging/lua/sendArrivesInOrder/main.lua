local skynet = require "skynet"
skynet.start(function()
    local c = skynet.newservice("collector")
    for i = 1, 200 do skynet.send(c, "lua", "item", i) end
    local list = skynet.call(c, "lua", "get")
    local expected = {}
    for i = 1, 200 do expected[i] = i end
    skynet.error("ordered", list == table.concat(expected, ","))
end)
