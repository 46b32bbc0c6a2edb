-- snax.gateserver: a service that accepts clients and frames what they send into packets
-- (skynet.netpack: a 2-byte big-endian length, then the bytes), with Skynet v1.8.0's API.
--
--   local gateserver = require "snax.gateserver"
--   gateserver.start {
--       connect = function(fd, addr) end,          -- a client arrived (it reads nothing yet)
--       message = function(fd, msg, sz) end,       -- a packet (msg: a buffer the handler owns)
--       disconnect = function(fd) end, error = function(fd, reason) end,
--       warning = function(fd, kib) end,           -- writes to fd piling up
--       open = function(source, conf) end, close = function() end,
--       command = function(cmd, source, ...) end,  -- lua calls other than open/close
--   }
--   gateserver.openclient(fd)     -- start reading the client's packets
--   gateserver.closeclient(fd)    -- close it
--
-- `skynet.call(gate, "lua", "open", { address =, port =, maxclient = 1024, nodelay =, backlog = })`
-- listens (port 0: any free port; `conf.port` then says which); clients past `maxclient` are
-- shut at once. A packet from a client that is no longer open is logged and dropped.

local skynet = require "skynet"
local netpack = require "skynet.netpack"
local socketdriver = require "skynet.socketdriver"

local gateserver = {}

local listener          -- the listening socket
local queue             -- netpack's queue
local maxclient
local client_number = 0
local counted = {}      -- fd -> true while the client counts against maxclient
local nodelay = false
-- fd -> true (open), false (its read side closed); nil once closed.
local connection = {}
local CMD = setmetatable({}, { __gc = function() netpack.clear(queue) end })

--- Starts reading client `fd`'s packets.
function gateserver.openclient(fd)
	if connection[fd] then
		socketdriver.start(fd)
	end
end

--- Closes client `fd`.
function gateserver.closeclient(fd)
	if connection[fd] ~= nil then
		connection[fd] = nil
		socketdriver.close(fd)
	end
end

--- Runs the gate with `handler` (see the header). Call from the service's main chunk.
function gateserver.start(handler)
	assert(handler.message, "gateserver needs handler.message")
	assert(handler.connect, "gateserver needs handler.connect")

	local listening = {}   -- while open waits for the listener: { co =, fd =, addr =, port = }

	function CMD.open(source, conf)
		assert(not listener, "the gate is already open")
		local address = conf.address or "0.0.0.0"
		local port = assert(conf.port, "gate open needs a port")
		maxclient = conf.maxclient or 1024
		nodelay = conf.nodelay
		skynet.error(string.format("Listen on %s:%d", address, port))
		listener = socketdriver.listen(address, port, conf.backlog)
		listening.co, listening.fd = coroutine.running(), listener
		skynet.wait(listening.co)
		conf.address, conf.port = listening.addr, listening.port
		listening = nil
		socketdriver.start(listener)
		if handler.open then
			return handler.open(source, conf)
		end
	end

	function CMD.close()
		assert(listener, "the gate is not open")
		socketdriver.close(listener)
	end

	local event = {}

	local function dispatch(fd, msg, sz)
		if connection[fd] then
			handler.message(fd, msg, sz)
		else
			skynet.error(string.format("Drop message from fd (%d) : %s", fd, netpack.tostring(msg, sz)))
		end
	end

	event.data = dispatch

	function event.more()
		for fd, msg, sz in netpack.pop, queue do
			dispatch(fd, msg, sz)
		end
	end

	function event.open(fd, addr)
		if client_number >= maxclient then
			socketdriver.shutdown(fd)
			return
		end
		if nodelay then
			socketdriver.nodelay(fd)
		end
		connection[fd] = true
		counted[fd] = true
		client_number = client_number + 1
		handler.connect(fd, addr)
	end

	function event.close(fd)
		if fd == listener then
			listener = nil
			return
		end
		if counted[fd] then -- (a client refused past maxclient was never counted)
			counted[fd] = nil
			client_number = client_number - 1
		end
		if connection[fd] then
			connection[fd] = false -- read side closed; writes may still go out
		end
		if handler.disconnect then
			handler.disconnect(fd)
		end
	end

	function event.error(fd, reason)
		if fd == listener then
			skynet.error("gateserver accept error:", reason)
			return
		end
		socketdriver.shutdown(fd)
		if counted[fd] then
			counted[fd] = nil
			client_number = client_number - 1
		end
		if handler.error then
			handler.error(fd, reason)
		end
	end

	function event.warning(fd, size)
		if handler.warning then
			handler.warning(fd, size)
		end
	end

	function event.init(id, addr, port)
		if listening and id == listening.fd then
			listening.addr, listening.port = addr, port
			skynet.wakeup(listening.co)
		end
	end

	skynet.register_protocol {
		name = "socket",
		id = skynet.PTYPE_SOCKET,
		unpack = function(msg, sz)
			return netpack.filter(queue, msg, sz)
		end,
		dispatch = function(_, _, q, kind, ...)
			queue = q
			if kind then
				event[kind](...)
			end
		end,
	}

	local function init()
		skynet.dispatch("lua", function(_, address, cmd, ...)
			local f = CMD[cmd]
			if f then
				skynet.ret(skynet.pack(f(address, ...)))
			else
				skynet.ret(skynet.pack(handler.command(cmd, address, ...)))
			end
		end)
	end

	if handler.embed then
		init()
	else
		skynet.start(init)
	end
end

return gateserver
