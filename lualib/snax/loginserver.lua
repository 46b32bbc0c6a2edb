-- snax.loginserver: Skynet v1.8.0's login server. A service file calls it with its handlers:
--
--   local login = require "snax.loginserver"
--   login {
--       host = "0.0.0.0", port = 8001, instance = 8, name = ".login", multilogin = false,
--       auth_handler = function(token) return server, uid end,        -- in the slaves
--       login_handler = function(server, uid, secret) return subid end, -- in the master
--       command_handler = function(command, ...) end,                  -- lua calls to the master
--   }
--
-- The first instance of the service becomes the master (it takes the local name, listens and
-- starts `instance` slaves of the same service); the slaves run the handshake of each client,
-- one line of text at a time:
--
--   server -> client  base64(challenge: 8 random bytes)
--   client -> server  base64(client key: dhexchange of 8 random bytes)
--   server -> client  base64(dhexchange(server key))      secret = dhsecret(client key, server key)
--   client -> server  base64(hmac64(challenge, secret))
--   client -> server  base64(DES(secret, token))
--   server -> client  "200 base64(subid)", or "401 Unauthorized" (auth_handler raised),
--                     "403 Forbidden" (login_handler raised), "406 Not Acceptable" (the uid is
--                     logging in already and multilogin is off)
--
-- A client may send at most 8 KiB before its handshake ends; a client that lies (a key of the
-- wrong size, a wrong HMAC) or goes away is logged and closed.

local skynet = require "skynet"
require "skynet.manager"	-- skynet.register
local socket = require "skynet.socket"
local crypt = require "skynet.crypt"

-- The error a handshake stops with when the client's connection is gone.
local socket_error = setmetatable({}, { __tostring = function() return "socket error" end })

local function check_socket(step, value, fd)
	if not value then
		skynet.error(string.format("%s failed: socket (fd = %d) closed", step, fd))
		error(socket_error)
	end
	return value
end

local function write(step, fd, text)
	check_socket(step, socket.write(fd, text), fd)
end

local function readline(step, fd)
	return check_socket(step, socket.readline(fd), fd)
end

-- A slave: runs the handshake of each client the master hands it.
local function serve_as_slave(auth_handler)
	local function handshake(fd)
		socket.limit(fd, 8192)
		local challenge = crypt.randomkey()
		write("auth", fd, crypt.base64encode(challenge) .. "\n")
		local clientkey = crypt.base64decode(readline("auth", fd))
		if #clientkey ~= 8 then
			error("Invalid client key")
		end
		local serverkey = crypt.randomkey()
		write("auth", fd, crypt.base64encode(crypt.dhexchange(serverkey)) .. "\n")
		local secret = crypt.dhsecret(clientkey, serverkey)
		if crypt.base64decode(readline("auth", fd)) ~= crypt.hmac64(challenge, secret) then
			error("challenge failed")
		end
		local token = crypt.desdecode(secret, crypt.base64decode(readline("auth", fd)))
		local ok, server, uid = pcall(auth_handler, token)
		return ok, server, uid, secret
	end

	-- The answer to the master: ok, server, uid, secret; or nil, "socket error"; or false, why.
	local function answer(ok, ...)
		if ok then
			return skynet.pack(...)
		end
		local err = ...
		if err == socket_error then
			return skynet.pack(nil, "socket error")
		end
		return skynet.pack(false, err)
	end

	skynet.dispatch("lua", function(_, _, fd, addr)
		skynet.error(string.format("connect from %s (fd = %d)", addr, fd))
		local started = pcall(socket.start, fd)
		local msg, sz
		if started then
			msg, sz = answer(pcall(handshake, fd))
		else
			msg, sz = skynet.pack(nil, "socket error")
		end
		socket.abandon(fd) -- the master closes it
		skynet.ret(msg, sz)
	end)
end

-- The master: listens, gives each client to the next slave, and logs the user in.
local function serve_as_master(conf)
	local instance = conf.instance or 8
	assert(instance > 0, "loginserver needs at least one instance")
	local host = conf.host or "0.0.0.0"
	local port = assert(tonumber(conf.port), "loginserver needs a port")
	local logging_in = {} -- uid -> true while its login_handler runs

	skynet.dispatch("lua", function(_, _, command, ...)
		skynet.ret(skynet.pack(conf.command_handler(command, ...)))
	end)

	local slaves = {}
	for i = 1, instance do
		slaves[i] = skynet.newservice(SERVICE_NAME)
	end

	local function login(slave, fd, addr)
		local ok, server, uid, secret = skynet.call(slave, "lua", fd, addr)
		if not ok then
			if ok ~= nil then -- (nil: the socket is gone)
				write("response 401", fd, "401 Unauthorized\n")
			end
			error(server)
		end
		if not conf.multilogin then
			if logging_in[uid] then
				write("response 406", fd, "406 Not Acceptable\n")
				error(string.format("User %s is already login", uid))
			end
			logging_in[uid] = true
		end
		local logged, subid = pcall(conf.login_handler, server, uid, secret)
		logging_in[uid] = nil
		if not logged then
			write("response 403", fd, "403 Forbidden\n")
			error(subid)
		end
		write("response 200", fd, "200 " .. crypt.base64encode(subid or "") .. "\n")
	end

	skynet.error(string.format("login server listen at : %s %d", host, port))
	local listener = socket.listen(host, port)
	local next_slave = 1
	socket.start(listener, function(fd, addr)
		local slave = slaves[next_slave]
		next_slave = next_slave % #slaves + 1
		local ok, err = pcall(login, slave, fd, addr)
		if not ok and err ~= socket_error then
			skynet.error(string.format("invalid client (fd = %d) error = %s", fd, tostring(err)))
		end
		socket.close_fd(fd) -- (the slave abandoned it: this service has no record of it)
	end)
end

--- Runs the service as the login master or one of its slaves (see the header).
return function(conf)
	local name = "." .. (conf.name or "login")
	skynet.start(function()
		if skynet.localname(name) then
			serve_as_slave(assert(conf.auth_handler, "loginserver needs auth_handler"))
		else
			assert(conf.login_handler, "loginserver needs login_handler")
			assert(conf.command_handler, "loginserver needs command_handler")
			skynet.register(name)
			serve_as_master(conf)
		end
	end)
end
