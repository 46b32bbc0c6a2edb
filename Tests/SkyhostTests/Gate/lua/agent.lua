-- A client's agent: answers each packet "agent:<packet>"; the packet "kick" has the gate close
-- the client.
local skynet = require "skynet"
local netpack = require "skynet.netpack"
local socketdriver = require "skynet.socketdriver"

local gate, client

skynet.register_protocol {
	name = "client",
	id = skynet.PTYPE_CLIENT,
	unpack = skynet.tostring,
	dispatch = function(fd, _, text)
		assert(fd == client)
		if text == "kick" then
			skynet.call(gate, "lua", "kick", fd)
		else
			socketdriver.send(fd, netpack.pack("agent:" .. text))
		end
	end,
}

skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd, g, fd)
		if cmd == "start" then
			gate, client = g, fd
			skynet.call(gate, "lua", "forward", fd)
			skynet.ret()
		elseif cmd == "exit" then
			skynet.exit()
		end
	end)
end)
