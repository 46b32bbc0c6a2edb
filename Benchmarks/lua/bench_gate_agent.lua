-- A client's agent in the gate bench: sends every packet back.
local skynet = require "skynet"
local netpack = require "skynet.netpack"
local socketdriver = require "skynet.socketdriver"

skynet.register_protocol {
    name = "client",
    id = skynet.PTYPE_CLIENT,
    unpack = skynet.tostring,
    dispatch = function(fd, _, text)
        socketdriver.send(fd, netpack.pack(text))
    end,
}

skynet.start(function()
    skynet.dispatch("lua", function(_, _, gate, fd)
        skynet.call(gate, "lua", "forward", fd)
        skynet.ret()
    end)
end)
