local skynet = require "skynet"
skynet.start(function()
    local e = skynet.newservice("echo")
    skynet.error("echo is", skynet.address(e))
    skynet.register_protocol {
        name = "text", id = skynet.PTYPE_TEXT, unpack = skynet.tostring,
        dispatch = function()
            skynet.error("still", skynet.call(e, "lua", "add", 2, 3))
        end,
    }
end)
