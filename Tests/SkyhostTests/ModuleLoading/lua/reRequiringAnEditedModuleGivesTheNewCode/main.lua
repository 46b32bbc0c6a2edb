local skynet = require "skynet"
skynet.start(function()
    local u1 = skynet.newservice("user")
    local u2 = skynet.newservice("user")
    skynet.error("before", skynet.call(u1, "lua", "get"), skynet.call(u2, "lua", "get"))
    skynet.register_protocol {
        name = "text", id = skynet.PTYPE_TEXT, unpack = skynet.tostring,
        dispatch = function()
            skynet.error("after", skynet.call(u1, "lua", "reload"), skynet.call(u2, "lua", "get"))
            local u3 = skynet.newservice("user")
            skynet.error("new service", skynet.call(u3, "lua", "get"))
        end,
    }
end)
