local skynet = require "skynet"
skynet.start(function()
    local a = skynet.newservice("serviceA", "x", 42)
    skynet.error("serviceA is", skynet.address(a))
    local list = skynet.call(".launcher", "lua", "LIST")
    local keys = {}
    for k, v in pairs(list) do keys[#keys + 1] = k .. "=" .. v end
    table.sort(keys)
    skynet.error("list", table.concat(keys, ";"))
    skynet.error("self", skynet.address(skynet.self()), skynet.localname(".launcher"))
end)
