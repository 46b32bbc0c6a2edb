-- Clients of the login server, written as Skynet's examples/login/client.lua talks: the
-- handshake, then the token; and clients that lie.
local skynet = require "skynet"
local socket = require "skynet.socket"
local crypt = require "skynet.crypt"

local port = tonumber(skynet.getenv "login_port")

local function login(user, password, tamper)
	local fd = assert(socket.open("127.0.0.1", port))
	local challenge = crypt.base64decode(socket.readline(fd))
	local clientkey = crypt.randomkey()
	socket.write(fd, crypt.base64encode(crypt.dhexchange(clientkey)) .. "\n")
	local secret = crypt.dhsecret(crypt.base64decode(socket.readline(fd)), clientkey)
	local hmac = crypt.hmac64(challenge, secret)
	if tamper == "hmac" then
		hmac = crypt.hmac64(challenge, crypt.randomkey())
	end
	socket.write(fd, crypt.base64encode(hmac) .. "\n")
	local token = string.format("%s@%s:%s", crypt.base64encode(user), crypt.base64encode("sample"),
		crypt.base64encode(password))
	socket.write(fd, crypt.base64encode(crypt.desencode(secret, token)) .. "\n")
	local result = socket.readline(fd)
	socket.close(fd)
	if result and result:sub(1, 3) == "200" then
		return "200 " .. crypt.base64decode(result:sub(5))
	end
	return tostring(result)
end

skynet.start(function()
	local master = skynet.newservice("logind")
	print("alice", login("alice", "password"))
	print("wrong", login("bob", "nope"))
	print("forbidden", login("forbidden", "password"))
	print("hmac", login("carol", "password", "hmac"))
	-- a client that sends a key of the wrong size, and one that says nothing and leaves
	local fd = assert(socket.open("127.0.0.1", port))
	socket.readline(fd)
	socket.write(fd, crypt.base64encode("short") .. "\n")
	print("badkey", socket.readline(fd))
	socket.close(fd)
	fd = assert(socket.open("127.0.0.1", port))
	socket.close(fd)
	print("again", login("dave", "password"))
	print("command", skynet.call(master, "lua", "ping"))
	print("done")
end)
