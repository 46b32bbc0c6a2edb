-- skynet.socket for Skyhost: TCP and UDP sockets for Lua services, with Skynet 1.8's API and behaviour.
--
-- The sockets themselves live in the host (SwiftNIO, see Sources/Skyhost/Sockets); what happens
-- to one arrives at the owning service as a "socket" message (PTYPE_SOCKET), which
-- `skynet.socketdriver.unpack` turns into `kind, id, ud, data` (Skynet's numbering: DATA 1,
-- CONNECT 2, CLOSE 3, ACCEPT 4, ERROR 5, UDP 6, WARNING 7). Received bytes are kept here, in Lua
-- strings, until a coroutine reads them; a coroutine that needs more than there is waits
-- (skynet.wait) until the data, or the end of the stream, arrives.
--
-- As in Skynet:
--   * socket.listen returns id, ip, port (the real port when 0 was asked for);
--   * an accepted socket reads nothing until someone calls socket.start(id) — and whoever calls it
--     becomes the socket's owner (abandon it in one service, start it in another);
--   * read(id, n) returns n bytes, or false and what was left when the socket closes;
--     read(id) returns what there is (waiting for something); readline strips the separator;
--     readall waits for the end of the stream;
--   * when more than 128 KiB wait unread, the socket is paused until the next read;
--   * a socket with a limit (socket.limit) is closed when its unread data passes the limit.
-- UDP sockets (socket.udp, udp_listen, udp_dial, udp_connect, sendto, udp_address) and
-- socket.resolve are Skynet's too.

local driver = require "skynet.socketdriver"
local skynet = require "skynet"

local BUFFER_LIMIT = 128 * 1024

local socket = {}

-- id -> record of a socket this service uses. Closing the service's Lua state closes them.
local records = setmetatable({}, {
	__gc = function(t)
		for id in pairs(t) do
			driver.close(id)
			t[id] = nil
		end
	end,
})
local close_callbacks = {}	-- id -> function(id), see socket.onclose

---------------------------------------------------------------------------------------------------
-- Received bytes: one string being consumed from `pos`, plus strings not yet joined to it.

local Buffer = {}
Buffer.__index = Buffer

local function new_buffer()
	return setmetatable({ data = "", pos = 1, parts = {}, size = 0, scan = 1 }, Buffer)
end

function Buffer:push(s)
	self.parts[#self.parts + 1] = s
	self.size = self.size + #s
end

-- Joins the pending strings to the unread part of `data`.
function Buffer:flatten()
	local parts = self.parts
	if #parts > 0 then
		local shift = self.pos - 1
		self.data = self.data:sub(self.pos) .. table.concat(parts)
		self.parts = {}
		self.pos = 1
		self.scan = math.max(1, self.scan - shift)
	end
	return self.data
end

-- `n` bytes, or nil if there are fewer.
function Buffer:pop(n)
	if n > self.size then
		return nil
	end
	local data = self.data
	if #data - self.pos + 1 < n then
		data = self:flatten()
	end
	local s = data:sub(self.pos, self.pos + n - 1)
	self.pos = self.pos + n
	self.size = self.size - n
	self.scan = self.pos
	if self.pos > #data then
		self.data, self.pos, self.scan = "", 1, 1
	end
	return s
end

function Buffer:readall()
	self:flatten()
	local s = self.pos == 1 and self.data or self.data:sub(self.pos)
	self.data, self.pos, self.size, self.scan = "", 1, 0, 1
	return s
end

-- The next line (without `sep`), or nil; with `check`, only says whether there is one.
function Buffer:readline(sep, check)
	if self.size < #sep then
		return nil
	end
	local data = self:flatten()
	local from = math.max(self.pos, self.scan)
	local i = string.find(data, sep, from, true)
	if not i then
		-- Next time, search only what is new (a separator may straddle the old end).
		self.scan = math.max(self.pos, #data - #sep + 2)
		return nil
	end
	if check then
		return true
	end
	local line = data:sub(self.pos, i - 1)
	local consumed = i + #sep - self.pos
	self.pos = i + #sep
	self.size = self.size - consumed
	self.scan = self.pos
	if self.pos > #data then
		self.data, self.pos, self.scan = "", 1, 1
	end
	return line
end

---------------------------------------------------------------------------------------------------
-- Waiting

local function wakeup(s)
	local co = s.co
	if co then
		s.co = nil
		skynet.wakeup(co)
	end
end

local function pause_socket(s, size)
	if s.pause ~= nil then
		return
	end
	if size then
		skynet.error(string.format("Pause socket (%d) size : %d", s.id, size))
	else
		skynet.error(string.format("Pause socket (%d)", s.id))
	end
	driver.pause(s.id)
	s.pause = true
	skynet.yield()	-- let the socket messages already queued arrive
end

-- Waits until a socket event wakes this coroutine (data, close, error, connect).
local function suspend(s)
	assert(not s.co, "another coroutine is waiting on this socket")
	s.co = coroutine.running()
	if s.pause then
		skynet.error(string.format("Resume socket (%d)", s.id))
		driver.start(s.id)
		skynet.wait(s.co)
		s.pause = nil
	else
		skynet.wait(s.co)
	end
	-- socket.close waits for the reader to finish with the buffer; tell it after every wait.
	if s.closing then
		skynet.wakeup(s.closing)
	end
end

---------------------------------------------------------------------------------------------------
-- Socket events

local event = {}

-- DATA: ud is the size.
event[1] = function(id, size, data)
	local s = records[id]
	if s == nil then
		skynet.error("socket: drop package from " .. id)
		return
	end
	local buffer = s.buffer
	if not buffer then	-- a listener: nothing to read
		return
	end
	buffer:push(data)
	local sz = buffer.size
	local want = s.read_required
	local kind = type(want)
	if kind == "number" then
		if sz >= want then
			s.read_required = nil
			if sz > BUFFER_LIMIT then
				pause_socket(s, sz)
			end
			wakeup(s)
		end
	else
		if s.buffer_limit and sz > s.buffer_limit then
			skynet.error(string.format("socket buffer overflow: fd=%d size=%d", id, sz))
			driver.close(id)
			return
		end
		if kind == "string" then
			if buffer:readline(want, true) then
				s.read_required = nil
				if sz > BUFFER_LIMIT then
					pause_socket(s, sz)
				end
				wakeup(s)
			end
		elseif sz > BUFFER_LIMIT and not s.pause then
			pause_socket(s, sz)
		end
	end
end

-- CONNECT: a listener is bound (ud = port, data = ip), a connection is up, or a start took effect.
event[2] = function(id, ud, addr)
	local s = records[id]
	if s == nil then
		return
	end
	if not s.connected then	-- a resumed socket reports again
		if s.listen then
			s.addr = addr
			s.port = ud
		end
		s.connected = true
		wakeup(s)
	end
end

-- CLOSE
event[3] = function(id)
	local s = records[id]
	if s then
		s.connected = false
		wakeup(s)
	else
		driver.close(id)
	end
	local cb = close_callbacks[id]
	if cb then
		close_callbacks[id] = nil
		cb(id)
	end
end

-- ACCEPT: ud = the new socket's id, data = "ip:port" of the peer.
event[4] = function(id, newid, addr)
	local s = records[id]
	if s == nil or not s.callback then
		driver.close(newid)
		return
	end
	s.callback(newid, addr)
end

-- ERROR: data = the reason.
event[5] = function(id, _, err)
	local s = records[id]
	if s == nil then
		driver.shutdown(id)
		skynet.error("socket: error on unknown", id, err)
		return
	end
	if s.callback then
		skynet.error("socket: accept error:", err)
		return
	end
	if s.connected then
		skynet.error("socket: error on", id, err)
	elseif s.connecting then
		s.connecting = err
	end
	s.connected = false
	driver.shutdown(id)
	wakeup(s)
end

-- UDP: ud = the payload's size, data = the payload, address = the sender (see udp_address).
event[6] = function(id, _, data, address)
	local s = records[id]
	if s == nil or s.callback == nil then
		skynet.error("socket: drop udp package from " .. id)
		return
	end
	s.callback(data, address)
end

local function default_warning(id, size)
	if records[id] then
		skynet.error(string.format("WARNING: %d K bytes need to send out (fd = %d)", size, id))
	end
end

-- WARNING: ud = KiB waiting to be written (0 when drained again).
event[7] = function(id, size)
	local s = records[id]
	if s then
		local warning = s.on_warning or default_warning
		warning(id, size)
	end
end

skynet.register_protocol {
	name = "socket",
	id = skynet.PTYPE_SOCKET,	-- 6
	unpack = driver.unpack,
	dispatch = function(_, _, kind, ...)
		local handler = event[kind]
		if handler then
			handler(...)
		else
			skynet.error("socket: unknown event " .. tostring(kind))
		end
	end,
}

---------------------------------------------------------------------------------------------------
-- API

-- Makes the record of a socket being connected or started, and waits for the outcome.
local function open_record(id, accept_callback)
	local s = {
		id = id,
		buffer = (accept_callback == nil) and new_buffer() or nil,
		connected = false,
		connecting = true,
		read_required = false,
		co = false,
		callback = accept_callback,
		protocol = "TCP",
	}
	assert(not close_callbacks[id], "socket has onclose callback")
	local old = records[id]
	if old and not old.listen then
		error("socket is not closed")
	end
	records[id] = s
	suspend(s)
	local err = s.connecting
	s.connecting = nil
	if s.connected then
		return id
	end
	records[id] = nil
	return nil, err
end

-- socket.open(host, port) or socket.open("host:port"): id, or nil and the reason.
function socket.open(host, port)
	local id = driver.connect(host, port)
	return open_record(id)
end

socket.connect = socket.open

-- socket.bind(fd): an OS descriptor of the process, read as a socket (a duplicate of it: closing
-- the socket leaves the process's own open). id, or nil and the reason.
function socket.bind(os_fd)
	local id = driver.bind(os_fd)
	return open_record(id)
end

-- socket.stdin(): the process's standard input, read as a socket (the console service).
function socket.stdin()
	return socket.bind(0)
end

-- Starts reading `id` (an accepted socket, or a listener with `accept_callback(newid, addr)`),
-- which makes this service its owner. Returns id, or nil and the reason.
function socket.start(id, accept_callback)
	driver.start(id)
	return open_record(id, accept_callback)
end

function socket.pause(id)
	local s = records[id]
	if s == nil then
		return
	end
	pause_socket(s)
end

-- Closes at once (unwritten data is dropped); the record stays until socket.close.
function socket.shutdown(id)
	if records[id] then
		driver.shutdown(id)
	end
end

-- Closes a socket this service never started (e.g. one it was handed but refuses).
function socket.close_fd(id)
	assert(records[id] == nil, "Use socket.close instead")
	driver.close(id)
end

-- Closes a socket: written data still goes out; a coroutine reading it gets what was left.
function socket.close(id)
	local s = records[id]
	if s == nil then
		return
	end
	driver.close(id)
	if s.connected then
		s.pause = false	-- do not resume it when waiting below
		if s.co then
			-- Another coroutine is reading: let it take the buffer first.
			assert(not s.closing)
			s.closing = coroutine.running()
			skynet.wait(s.closing)
		else
			suspend(s)	-- until the close event
		end
		s.connected = false
	end
	records[id] = nil
end

local function get(id)
	local s = records[id]
	if s == nil then
		error(string.format("socket %s is not open in this service", tostring(id)), 3)
	end
	if not s.buffer then
		error(string.format("socket %s is a listener", tostring(id)), 3)
	end
	return s
end

-- read(id): what there is, waiting for at least one byte; read(id, n): exactly n bytes.
-- When the socket closes first: false and what was left.
function socket.read(id, sz)
	local s = get(id)
	local buffer = s.buffer
	if sz == nil then
		local ret = buffer:readall()
		if ret ~= "" then
			return ret
		end
		if not s.connected then
			return false, ret
		end
		assert(not s.read_required)
		s.read_required = 0
		suspend(s)
		ret = buffer:readall()
		if ret ~= "" then
			return ret
		end
		return false, ret
	end
	local ret = buffer:pop(sz)
	if ret then
		return ret
	end
	if s.closing or not s.connected then
		return false, buffer:readall()
	end
	assert(not s.read_required)
	s.read_required = sz
	suspend(s)
	ret = buffer:pop(sz)
	if ret then
		return ret
	end
	return false, buffer:readall()
end

-- Everything until the socket closes.
function socket.readall(id)
	local s = get(id)
	if not s.connected then
		local r = s.buffer:readall()
		return r ~= "" and r
	end
	assert(not s.read_required)
	s.read_required = true
	suspend(s)
	assert(s.connected == false)
	return s.buffer:readall()
end

-- The next line without its separator (default "\n"); false and what was left on close.
function socket.readline(id, sep)
	sep = sep or "\n"
	local s = get(id)
	local buffer = s.buffer
	local ret = buffer:readline(sep)
	if ret then
		return ret
	end
	if not s.connected then
		return false, buffer:readall()
	end
	assert(not s.read_required)
	s.read_required = sep
	suspend(s)
	if s.connected then
		return buffer:readline(sep)
	end
	return false, buffer:readall()
end

-- Waits until there is something to read or the socket closes; returns whether it is open.
function socket.block(id)
	local s = records[id]
	if not s or not s.connected then
		return false
	end
	assert(not s.read_required)
	s.read_required = 0
	suspend(s)
	return s.connected
end

socket.write = assert(driver.send)
socket.lwrite = assert(driver.lsend)
socket.header = assert(driver.header)

function socket.invalid(id)
	return records[id] == nil
end

function socket.disconnected(id)
	local s = records[id]
	if s then
		return not (s.connected or s.connecting)
	end
end

-- listen(host, port [, backlog]) or listen("host:port" [, nil, backlog]): id, ip, port.
function socket.listen(host, port, backlog)
	if port == nil then
		local h, p = string.match(host, "^(.*):(%d+)$")
		if not h then
			error("Invalid address " .. tostring(host))
		end
		host, port = h:match("^%[(.*)%]$") or h, tonumber(p)
	end
	local id = driver.listen(host, port, backlog)
	local s = {
		id = id,
		connected = false,
		listen = true,
	}
	assert(records[id] == nil)
	records[id] = s
	suspend(s)
	return id, s.addr, s.port
end

-- Forgets a socket without closing it, so that another service can socket.start it.
function socket.abandon(id)
	local s = records[id]
	if s then
		s.connected = false
		wakeup(s)
		close_callbacks[id] = nil
		records[id] = nil
	end
end

-- Closes the socket when more than `limit` bytes wait unread.
function socket.limit(id, limit)
	local s = assert(records[id])
	s.buffer_limit = limit
end

function socket.warning(id, callback)
	local s = assert(records[id])
	s.on_warning = callback
end

function socket.onclose(id, callback)
	close_callbacks[id] = callback
end

socket.netstat = assert(driver.info)

---------------------------------------------------------------------------------------------------
-- UDP: a socket reads from the moment it exists; each datagram calls the socket's callback
-- with the payload and the sender's address (a string for sendto and udp_address).

local function udp_record(id, callback)
	assert(not records[id], "socket is not closed")
	records[id] = {
		id = id,
		connected = true,
		protocol = "UDP",
		callback = callback,	-- without one, datagrams are dropped (and logged)
	}
end

-- socket.udp(callback [, host, port]): a UDP socket, bound to host:port if given.
function socket.udp(callback, host, port)
	local id = driver.udp(host, port)
	udp_record(id, callback)
	return id
end

-- Makes host:port where socket.write(id, data) sends; replaces the callback if one is given.
function socket.udp_connect(id, host, port, callback)
	local s = records[id]
	if s then
		assert(s.protocol == "UDP", "not a UDP socket")
		if callback then
			s.callback = callback
		end
	else
		udp_record(id, callback)
	end
	driver.udp_connect(id, host, port)
end

-- socket.udp_listen(host, port, callback): a UDP socket bound to host:port.
-- socket.udp_dial(host, port, callback): a UDP socket whose socket.write sends to host:port.
for name, open in pairs { udp_listen = driver.udp_listen, udp_dial = driver.udp_dial } do
	socket[name] = function(host, port, callback)
		local id = open(host, port)
		udp_record(id, callback)
		return id
	end
end

socket.sendto = assert(driver.udp_send)
socket.udp_address = assert(driver.udp_address)
socket.resolve = assert(driver.resolve)

return socket
