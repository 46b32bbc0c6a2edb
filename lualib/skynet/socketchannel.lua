-- skynet.socketchannel: one connection to a server (Redis, MySQL, MongoDB, a cluster peer) shared
-- by every coroutine of a service, with Skynet v1.8.0's API and behaviour.
--
--   local channel = socketchannel.channel {
--       host = "127.0.0.1", port = 6379,
--       backup = { "10.0.0.2", { host = "10.0.0.3", port = 6380 } },  -- tried when host fails
--       auth = function(channel) ... end,    -- run on every (re)connection, may send requests
--       response = function(sock) return session, ok, data, padding end,  -- session mode
--       nodelay = true,
--       overload = function(is_overloaded) ... end,  -- writes piling up past 1 MiB, and cleared
--       socket_read = f, socket_readline = f,        -- replace sock:read / sock:readline
--   }
--   channel:connect(once)                 -- once: give up after one round of hosts
--   local result = channel:request(request, response, padding)
--   channel:response(response)            -- wait for a reply nobody asked for (Redis watch)
--   channel:close(); channel:changehost(host, port); channel:changebackup(backup)
--
-- Two modes. In order mode (no `response` in the description), `request`'s `response` is a
-- function `f(sock) -> ok, data, padding` that reads one reply from the socket; replies come in
-- the order of the requests, and one reader coroutine calls the functions in that order. When
-- `padding` is true, the same function is called again and its data collected into a table
-- until `padding` is false (a reply in several parts). In session mode, `request`'s `response`
-- is a session and the description's `response(sock)` reads any reply and says which session it
-- answers.
--
-- A request that cannot be written, a socket closed by the peer and a reader that raises all
-- close the connection and fail every waiting request: with the reader's error, or with
-- `socketchannel.error` (printed "[Error: socket]") when the socket itself failed. The next
-- request connects again. `sock:read(n)` and `sock:readline(sep)` raise `socketchannel.error`
-- when the socket closes.

local skynet = require "skynet"
local socket = require "skynet.socket"
local socketdriver = require "skynet.socketdriver"

local socketchannel = {}

--- The error a request fails with when the socket failed (not the server's answer).
local socket_error = setmetatable({}, { __tostring = function() return "[Error: socket]" end })
socketchannel.error = socket_error

-- The socket handed to response functions: { fd } with read and readline raising socket_error.

local function raising(read)
	return function(sock, ...)
		local data = read(sock[1], ...)
		if not data then
			error(socket_error)
		end
		return data
	end
end

local sock_methods = {
	read = raising(socket.read),
	readline = raising(socket.readline),
}

local function shutdown_forgotten(sock)
	local fd = sock[1]
	sock[1] = false
	if fd then
		socket.shutdown(fd)
	end
end

local default_sock_meta = { __index = sock_methods, __gc = shutdown_forgotten }

local channel = {}
local channel_meta = { __index = channel }

--- A channel to `desc.host:desc.port`, not yet connected (see the header).
function socketchannel.channel(desc)
	local sock_meta = default_sock_meta
	if desc.socket_read or desc.socket_readline then
		sock_meta = {
			__index = {
				read = desc.socket_read or sock_methods.read,
				readline = desc.socket_readline or sock_methods.readline,
			},
			__gc = shutdown_forgotten,
		}
	end
	return setmetatable({
		__host = assert(desc.host, "socketchannel needs a host"),
		__port = assert(desc.port, "socketchannel needs a port"),
		__backup = desc.backup,
		__auth = desc.auth,
		__response = desc.response,
		__nodelay = desc.nodelay,
		__overload_notify = desc.overload,
		__overload = false,
		__sock_meta = sock_meta,
		__sock = false,             -- { fd } while connected
		__closed = false,           -- closed by its owner: no reconnection
		__reader = nil,             -- the coroutine that reads replies
		__reader_waiting = nil,     -- the reader, when it waits for a request (order mode)
		__authing = false,          -- the coroutine running auth
		__connecting = nil,         -- coroutines waiting for the one that connects
		-- order mode: the response functions and their coroutines, in request order;
		-- session mode: __waiting[session] = coroutine.
		__pending = {},
		__waiting = {},
		__result = {},              -- coroutine -> ok (or socket_error)
		__result_data = {},         -- coroutine -> data (or the error message)
	}, channel_meta)
end

-- Replies ------------------------------------------------------------------------------------

-- Hands `co` its result and wakes it.
local function answer(self, co, ok, data)
	self.__result[co] = ok
	self.__result_data[co] = data
	skynet.wakeup(co)
end

-- Fails every waiting request with socket_error (and `message`, raised instead if given).
local function fail_all(self, message)
	if self.__response then
		local waiting = self.__waiting
		self.__waiting = {}
		for _, co in pairs(waiting) do
			answer(self, co, socket_error, message)
		end
	else
		local waiting = self.__waiting
		self.__pending = {}
		self.__waiting = {}
		for _, co in ipairs(waiting) do
			if co then -- false: the stop signal of a reader
				answer(self, co, socket_error, message)
			end
		end
	end
end

-- Drops the connection (never raises); the reader waiting for a request is woken to leave.
local function drop_socket(self)
	local sock = self.__sock
	if not sock then
		return
	end
	self.__sock = false
	local reader = self.__reader_waiting
	if reader then
		self.__reader_waiting = nil
		skynet.wakeup(reader)
	end
	pcall(socket.close, sock[1])
end

-- The message a failed reader leaves for the waiting requests: its error, unless the socket
-- itself failed.
local function reader_error(err)
	if err ~= socket_error then
		return err
	end
end

-- Session mode: read replies for as long as the socket is open.
local function read_by_session(self)
	local response = self.__response
	while self.__sock do
		local ok, session, result_ok, result_data, padding = pcall(response, self.__sock)
		if not ok or not session then
			drop_socket(self)
			fail_all(self, reader_error(session))
		else
			local co = self.__waiting[session]
			if not co then
				self.__waiting[session] = nil
				skynet.error("socket: unknown session :", session)
			elseif padding and result_ok then
				-- one part of a reply in several: collected until the last part
				local parts = self.__result_data[co] or {}
				self.__result_data[co] = parts
				parts[#parts + 1] = result_data
			else
				self.__waiting[session] = nil
				local parts = self.__result_data[co]
				if result_ok and parts then
					parts[#parts + 1] = result_data
					result_data = parts
				end
				answer(self, co, result_ok, result_data)
			end
			if co and not self.__sock then
				fail_all(self, "channel_closed")
				break
			end
		end
	end
end

-- The next response function and its coroutine; nil when the socket is gone.
local function next_request(self)
	while self.__sock do
		local f = table.remove(self.__pending, 1)
		local co = table.remove(self.__waiting, 1)
		if f then
			return f, co
		end
		local me = coroutine.running()
		self.__reader_waiting = me
		skynet.wait(me)
	end
end

-- Reads one reply with `f`, gathering the parts of a reply in several.
local function read_reply(f, sock)
	local ok, data, padding = f(sock)
	if not (ok and padding) then
		return ok, data
	end
	local parts = { data }
	repeat
		ok, data, padding = f(sock)
		if not ok then
			return ok, data
		end
		parts[#parts + 1] = data
	until not padding
	return true, parts
end

-- Order mode: read the reply of each request in turn, for as long as the socket is open.
local function read_by_order(self)
	while self.__sock do
		local f, co = next_request(self)
		if not co then -- the socket is gone, or the stop signal of a new connection
			fail_all(self, "channel_closed")
			break
		end
		local sock = self.__sock
		if not sock then
			answer(self, co, socket_error)
			fail_all(self)
			break
		end
		local ok, result_ok, result_data = pcall(read_reply, f, sock)
		if ok then
			answer(self, co, result_ok, result_data)
			if not self.__sock then
				fail_all(self, "channel_closed")
				break
			end
		else
			drop_socket(self)
			local message = reader_error(result_ok)
			answer(self, co, socket_error, message)
			fail_all(self, message)
		end
	end
end

-- Queues `co` for the reply `response` (a function in order mode, a session in session mode).
local function expect_reply(self, response, co)
	if self.__response then
		self.__waiting[response] = co
	else
		table.insert(self.__pending, response)
		table.insert(self.__waiting, co)
		local reader = self.__reader_waiting
		if reader then
			self.__reader_waiting = nil
			skynet.wakeup(reader)
		end
	end
end

-- Connecting ---------------------------------------------------------------------------------

-- Tells the reader of an earlier connection to stop (order mode: a request with no coroutine).
local function stop_reader(self)
	if not self.__response and self.__reader then
		expect_reply(self, true, false)
	end
end

-- Reports writes piling up on `fd` to the description's overload function.
local function watch_overload(self, fd)
	local notify = self.__overload_notify
	local function on_warning(id, size)
		if not self.__sock or id ~= self.__sock[1] then
			return
		end
		if size == 0 then
			if self.__overload then
				self.__overload = false
				notify(false)
			end
		elseif not self.__overload then
			self.__overload = true
			notify(true)
		else
			skynet.error(string.format("WARNING: %d K bytes need to send out (fd = %d %s:%s)",
				size, id, self.__host, self.__port))
		end
	end
	skynet.fork(on_warning, fd, 0)
	socket.warning(fd, on_warning)
end

-- The backup hosts as { host, port }, without duplicates, after those already in `list`.
local function add_backups(self, list, seen)
	for _, addr in ipairs(self.__backup or {}) do
		local host, port
		if type(addr) == "table" then
			host, port = addr.host, addr.port
		else
			host, port = addr, self.__port
		end
		local key = host .. ":" .. port
		if not seen[key] then
			seen[key] = true
			list[#list + 1] = { host = host, port = port }
		end
	end
end

local connect_round

-- Opens `addr` (or the next backup host) and authenticates. true, or false and the reason.
local function open_one(self, addr, backups, seen)
	local fd, err = socket.open(addr.host, addr.port)
	while not fd do
		addr = table.remove(backups, 1)
		if not addr then
			return false, err
		end
		skynet.error("socket: connect to backup host", addr.host, addr.port)
		fd, err = socket.open(addr.host, addr.port)
	end
	self.__host, self.__port = addr.host, addr.port
	assert(not self.__sock and not self.__authing)
	stop_reader(self)
	if self.__nodelay then
		socketdriver.nodelay(fd)
	end
	if self.__overload_notify then
		watch_overload(self, fd)
	end
	while self.__reader do -- the reader of the last connection leaves first
		skynet.yield()
	end
	self.__sock = setmetatable({ fd }, self.__sock_meta)
	self.__reader = skynet.fork(function()
		if self.__sock then
			if self.__response then
				pcall(read_by_session, self)
			else
				socket.onclose(fd, function(closed)
					local sock = self.__sock
					if self.__reader_waiting and sock and sock[1] == closed then
						skynet.error("socket closed by peer : ", self.__host, self.__port)
						drop_socket(self)
					end
				end)
				pcall(read_by_order, self)
			end
		end
		self.__reader = nil
	end)
	if not self.__auth then
		return true
	end
	self.__authing = coroutine.running()
	local ok, message = pcall(self.__auth, self)
	self.__authing = false
	if ok then
		if not self.__sock then -- auth changed the host: connect again
			return connect_round(self)
		end
		return true
	end
	drop_socket(self)
	if message ~= socket_error then
		skynet.error("socket: auth failed", message)
	end
	add_backups(self, backups, seen) -- auth may have added backup hosts
	addr = table.remove(backups, 1)
	if not addr then
		return false, "no more backup host"
	end
	skynet.error("socket: connect to backup host", addr.host, addr.port)
	return open_one(self, addr, backups, seen)
end

-- One round: the host, then the backup hosts. true, or false and the reason.
function connect_round(self)
	if self.__closed then
		return false
	end
	local backups, seen = {}, {}
	add_backups(self, backups, seen)
	return open_one(self, { host = self.__host, port = self.__port }, backups, seen)
end

-- Connects; unless `once`, retries with a growing pause until it succeeds or the channel is
-- closed. Returns the reason of the last failure.
local function keep_connecting(self, once)
	local pause = 0
	while not self.__closed do
		local ok, err = connect_round(self)
		if ok then
			if not once then
				skynet.error("socket: connect to", self.__host, self.__port)
			end
			return
		elseif once then
			return err
		end
		skynet.error("socket: connect", err)
		if pause > 1000 then
			skynet.error("socket: try to reconnect", self.__host, self.__port)
			skynet.sleep(pause)
			pause = 0
		else
			skynet.sleep(pause)
		end
		pause = pause + 100
	end
end

-- Whether the channel can be used now: true; false (closed, or lost while authenticating);
-- nil (it must connect first).
local function usable(self)
	if self.__sock then
		local authing = self.__authing
		if socket.disconnected(self.__sock[1]) then
			skynet.error("socket: disconnect detected ", self.__host, self.__port)
			drop_socket(self)
			if authing and authing == coroutine.running() then
				return false
			end
			return nil
		end
		if not authing or authing == coroutine.running() then
			return true
		end
	end
	if self.__closed then
		return false
	end
end

-- Makes sure the channel is connected (one coroutine connects, the others wait for it).
local function ensure_connected(self, once)
	local state = usable(self)
	if state ~= nil then
		return state
	end
	local err
	if self.__connecting then
		local me = coroutine.running()
		table.insert(self.__connecting, me)
		skynet.wait(me)
	else
		self.__connecting = {}
		err = keep_connecting(self, once)
		local waiting = self.__connecting
		self.__connecting = nil
		for _, co in ipairs(waiting) do
			skynet.wakeup(co)
		end
	end
	state = usable(self)
	if state == nil then
		skynet.error(string.format("Connect to %s:%d failed (%s)", self.__host, self.__port, err))
		error(socket_error)
	end
	return state
end

-- The API -------------------------------------------------------------------------------------

--- Connects (again, if it was closed); `once`: one round of hosts instead of retrying for ever.
--- Raises socketchannel.error when it cannot.
function channel:connect(once)
	self.__closed = false
	return ensure_connected(self, once)
end

-- Waits for the reply `response` and returns its data; raises what failed it.
local function wait_reply(self, response)
	local co = coroutine.running()
	expect_reply(self, response, co)
	skynet.wait(co)
	local ok = self.__result[co]
	local data = self.__result_data[co]
	self.__result[co] = nil
	self.__result_data[co] = nil
	if ok == socket_error then
		error(data or socket_error)
	end
	assert(ok, data)
	return data
end

local function write_failed(self)
	drop_socket(self)
	fail_all(self)
	error(socket_error)
end

--- Sends `request` (a string or a table of strings, and the strings of `padding` after it,
--- written at low priority) and, unless `response` is nil, waits for its reply and returns its
--- data. Connects first if needed.
function channel:request(request, response, padding)
	assert(ensure_connected(self, true))
	local fd = self.__sock[1]
	if padding then
		if not socket.lwrite(fd, request) then
			write_failed(self)
		end
		for _, part in ipairs(padding) do
			if not socket.lwrite(fd, part) then
				write_failed(self)
			end
		end
	elseif not socket.write(fd, request) then
		write_failed(self)
	end
	if response == nil then
		return
	end
	return wait_reply(self, response)
end

--- Waits for a reply that no request asked for (a Redis subscription's messages).
function channel:response(response)
	assert(ensure_connected(self))
	return wait_reply(self, response)
end

--- Closes the channel: no reconnection until `connect` is called again.
function channel:close()
	if not self.__closed then
		stop_reader(self)
		self.__closed = true
		drop_socket(self)
	end
end

--- Moves the channel to another host; the next request connects there.
function channel:changehost(host, port)
	self.__host = host
	if port then
		self.__port = port
	end
	if not self.__closed then
		drop_socket(self)
	end
end

--- Replaces the backup hosts.
function channel:changebackup(backup)
	self.__backup = backup
end

channel_meta.__gc = channel.close

return socketchannel
