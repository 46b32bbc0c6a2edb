-- snax.msgserver: the game server side of Skynet v1.8.0's login flow, on snax.gateserver. A
-- user the login server logged in (`login username secret`) connects, proves it knows the
-- secret, then sends requests whose responses are cached, so that a client that reconnects
-- (with a higher index) and sends a request again gets the same response instead of running it
-- twice. Every number is big-endian; every packet is netpack's (a 2-byte size, then bytes).
--
--   first packet    base64(uid)@base64(server)#base64(subid):index:base64(hmac_hash(secret,
--                   "username:index")); answered "200 OK", or "404 User Not Found",
--                   "403 Index Expired" (index not above the last one), "401 Unauthorized",
--                   "400 Bad Request" -- then the connection is closed
--   a request       content .. dword session
--   its response    content .. byte ok (1, or 0 when the handler raised) .. dword session
--
--   local msgserver = require "snax.msgserver"
--   msgserver.start {
--       login_handler = function(uid, secret) return subid end,  -- lua "login" (login server)
--       logout_handler = function(uid, subid) end,               -- lua "logout" (agent)
--       kick_handler = function(uid, subid) end,                 -- lua "kick" (login server)
--       request_handler = function(username, msg) return response end,
--       register_handler = function(servername) end,             -- the gate opened
--       disconnect_handler = function(username) end,             -- the client went away
--       expired_number = 128,                                    -- responses kept per user
--   }
--   msgserver.userid(username) -> uid, subid, servername; msgserver.username(uid, subid, server)
--   msgserver.login(username, secret); msgserver.logout(username); msgserver.ip(username)

local skynet = require "skynet"
local gateserver = require "snax.gateserver"
local netpack = require "skynet.netpack"
local crypt = require "skynet.crypt"
local socketdriver = require "skynet.socketdriver"

local b64encode, b64decode = crypt.base64encode, crypt.base64decode

local msgserver = {}

skynet.register_protocol {
	name = "client",
	id = skynet.PTYPE_CLIENT,
}

local users = {}        -- username -> { secret, version, index, username, response, fd, ip }
local handshaking = {}  -- fd -> peer address, until its first packet
local connection = {}   -- fd -> the user it serves

--- uid, subid and server name of a username.
function msgserver.userid(username)
	local uid, servername, subid = username:match("([^@]*)@([^#]*)#(.*)")
	return b64decode(uid), b64decode(subid), b64decode(servername)
end

--- The username of uid and subid on server `servername`.
function msgserver.username(uid, subid, servername)
	return string.format("%s@%s#%s", b64encode(uid), b64encode(servername), b64encode(tostring(subid)))
end

--- Forgets a user (and closes its connection).
function msgserver.logout(username)
	local u = users[username]
	users[username] = nil
	if u and u.fd and connection[u.fd] then
		gateserver.closeclient(u.fd)
		connection[u.fd] = nil
	end
end

--- Lets `username` connect with `secret` (the login server's DH secret).
function msgserver.login(username, secret)
	assert(users[username] == nil, "user already logged in")
	users[username] = { secret = secret, version = 0, index = 0, username = username, response = {} }
end

--- The address the user connected from, while connected.
function msgserver.ip(username)
	local u = users[username]
	if u and u.fd then
		return u.ip
	end
end

--- Runs the server (see the header).
function msgserver.start(conf)
	local expired_number = conf.expired_number or 128
	local request_handler = assert(conf.request_handler, "msgserver needs request_handler")
	local commands = {
		login = assert(conf.login_handler, "msgserver needs login_handler"),
		logout = assert(conf.logout_handler, "msgserver needs logout_handler"),
		kick = assert(conf.kick_handler, "msgserver needs kick_handler"),
	}
	local handler = {}

	function handler.command(cmd, _, ...)
		return assert(commands[cmd], cmd)(...)
	end

	function handler.open(_, gateconf)
		return conf.register_handler(assert(gateconf.servername, "gate open needs servername"))
	end

	function handler.connect(fd, addr)
		handshaking[fd] = addr
		gateserver.openclient(fd)
	end

	function handler.disconnect(fd)
		handshaking[fd] = nil
		local u = connection[fd]
		if u then
			if conf.disconnect_handler then
				conf.disconnect_handler(u.username)
			end
			if connection[fd] then -- (the handler may have closed it)
				u.fd = nil
				connection[fd] = nil
				gateserver.closeclient(fd)
			end
		end
	end
	handler.error = handler.disconnect

	-- The handshake's answer: nil when the user may go on, else the error line.
	local function check(fd, text, addr)
		local username, index, hmac = text:match("([^:]*):([^:]*):([^:]*)")
		local u = users[username]
		if u == nil then
			return "404 User Not Found"
		end
		local n = assert(math.tointeger(tonumber(index)), "index is not a number")
		if n <= u.version then
			return "403 Index Expired"
		end
		if crypt.hmac_hash(u.secret, username .. ":" .. index) ~= b64decode(hmac) then
			return "401 Unauthorized"
		end
		u.version, u.fd, u.ip = n, fd, addr
		connection[fd] = u
	end

	local function handshake(fd, addr, text)
		local ok, refused = pcall(check, fd, text, addr)
		if not ok then
			skynet.error(refused)
			refused = "400 Bad Request"
		end
		socketdriver.send(fd, netpack.pack(refused or "200 OK"))
		if refused then
			gateserver.closeclient(fd)
		end
	end

	-- Drops the cached responses older than `expired_number` once the index has gone twice as far.
	local function retire(u)
		if u.index < expired_number * 2 then
			return
		end
		local newest = 0
		for session, p in pairs(u.response) do
			if p.fd == nil then -- answered
				if p.index < expired_number then
					u.response[session] = nil
				else
					p.index = p.index - expired_number
					newest = math.max(newest, p.index)
				end
			end
		end
		u.index = newest + 1
	end

	-- A response: { fd = where it goes (nil once sent), packet =, version =, index = }.
	local function serve(fd, text)
		local u = assert(connection[fd], "invalid fd")
		local session = string.unpack(">I4", text, -4)
		local content = text:sub(1, -5)
		local p = u.response[session]
		if p and p.version == u.version then
			-- the same session again on this connection: a new request
			u.response[session] = nil
			if p.packet == nil then
				local message = string.format("Conflict session %s", crypt.hexencode(string.pack(">I4", session)))
				skynet.error(message)
				error(message)
			end
			p = nil
		end
		if p == nil then
			p = { fd = fd }
			u.response[session] = p
			local ok, result = pcall(request_handler, u.username, content)
			result = result or ""
			if ok then
				result = result .. string.pack(">BI4", 1, session)
			else
				skynet.error(result)
				result = string.pack(">BI4", 0, session)
			end
			p.packet, p.version, p.index = string.pack(">s2", result), u.version, u.index
		else
			-- asked again after a reconnection: the cached response goes to the new connection
			p.fd, p.version, p.index = fd, u.version, u.index
			if p.packet == nil then
				return -- still being made; it goes out when it is
			end
		end
		u.index = u.index + 1
		if connection[p.fd] then
			socketdriver.send(p.fd, p.packet)
		end
		p.fd = nil
		retire(u)
	end

	function handler.message(fd, msg, sz)
		local text = netpack.tostring(msg, sz)
		local addr = handshaking[fd]
		if addr then
			handshaking[fd] = nil
			handshake(fd, addr, text)
			return
		end
		local ok, err = pcall(serve, fd, text)
		if not ok then
			skynet.error(string.format("Invalid package %s : %s", err, text))
			if connection[fd] then
				gateserver.closeclient(fd)
			end
		end
	end

	return gateserver.start(handler)
end

return msgserver
