-- gate: the front door of Skynet's examples, on snax.gateserver. Clients' packets go to the
-- watchdog (`skynet.send(watchdog, "lua", "socket", "data", fd, bytes)`) until the watchdog
-- forwards the client to an agent, which then gets them as "client" messages.
--
--   skynet.call(gate, "lua", "open", { port =, maxclient =, nodelay =, watchdog = })
--   skynet.call(gate, "lua", "forward", fd [, client, agent])  -- packets to agent (default: caller)
--   skynet.call(gate, "lua", "accept", fd)                      -- packets to the watchdog
--   skynet.call(gate, "lua", "kick", fd)                        -- close the client
-- The watchdog hears "socket" "open" fd addr, "close" fd, "error" fd reason, "warning" fd kib.

local skynet = require "skynet"
local gateserver = require "snax.gateserver"

local watchdog
local connection = {}   -- fd -> { fd =, ip =, agent =, client = }

skynet.register_protocol {
	name = "client",
	id = skynet.PTYPE_CLIENT,
}

local handler = {}

function handler.open(source, conf)
	watchdog = conf.watchdog or source
	return conf.address, conf.port
end

function handler.message(fd, msg, sz)
	local c = connection[fd]
	local agent = c.agent
	if agent then
		-- the agent owns the buffer from here
		skynet.redirect(agent, c.client, "client", fd, msg, sz)
	else
		skynet.send(watchdog, "lua", "socket", "data", fd, skynet.tostring(msg, sz))
		skynet.trash(msg, sz)
	end
end

function handler.connect(fd, addr)
	connection[fd] = { fd = fd, ip = addr }
	skynet.send(watchdog, "lua", "socket", "open", fd, addr)
end

local function unforward(c)
	c.agent = nil
	c.client = nil
end

local function forget(fd)
	local c = connection[fd]
	if c then
		unforward(c)
		connection[fd] = nil
	end
end

function handler.disconnect(fd)
	forget(fd)
	skynet.send(watchdog, "lua", "socket", "close", fd)
end

function handler.error(fd, reason)
	forget(fd)
	skynet.send(watchdog, "lua", "socket", "error", fd, reason)
end

function handler.warning(fd, size)
	skynet.send(watchdog, "lua", "socket", "warning", fd, size)
end

local CMD = {}

function CMD.forward(source, fd, client, address)
	local c = assert(connection[fd], "no such client")
	unforward(c)
	c.client = client or 0
	c.agent = address or source
	gateserver.openclient(fd)
end

function CMD.accept(_, fd)
	local c = assert(connection[fd], "no such client")
	unforward(c)
	gateserver.openclient(fd)
end

function CMD.kick(_, fd)
	gateserver.closeclient(fd)
end

function handler.command(cmd, source, ...)
	local f = assert(CMD[cmd], cmd)
	return f(source, ...)
end

gateserver.start(handler)
