local skynet = require "skynet"
local core = require "skynet.core"
skynet.start(function()
    local s = skynet.newservice("spinner")
    skynet.fork(function()
        local ok = pcall(skynet.call, s, "lua", "spin")
        skynet.error("spin call", ok)
    end)
    skynet.register_protocol {
        name = "text", id = skynet.PTYPE_TEXT, unpack = skynet.tostring,
        dispatch = function()
            core.command("SIGNAL", skynet.address(s) .. " 0")
            skynet.error("after signal", skynet.call(s, "lua", "ping"))
        end,
    }
end)
