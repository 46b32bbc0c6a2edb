-- A client of gated, as Skynet's examples/login/client.lua talks to its gated: handshakes,
-- requests, a reconnection that asks again, and handshakes that are refused.
local skynet = require "skynet"
local socket = require "skynet.socket"
local crypt = require "skynet.crypt"

local port = tonumber(skynet.getenv "msg_port")

local function send(fd, text) socket.write(fd, string.pack(">s2", text)) end
local function receive(fd)
	local size = socket.read(fd, 2)
	if not size then return nil end
	return socket.read(fd, string.unpack(">I2", size))
end

local function connect(username, index, secret)
	local fd = assert(socket.open("127.0.0.1", port))
	local text = string.format("%s:%d", username, index)
	send(fd, text .. ":" .. crypt.base64encode(crypt.hmac_hash(secret, text)))
	return fd, receive(fd)
end

local function request(fd, content, session)
	send(fd, content .. string.pack(">I4", session))
	local answer = receive(fd)
	local ok, s = string.unpack(">BI4", answer, -5)
	return answer:sub(1, -6), ok, s
end

skynet.start(function()
	local gated = skynet.newservice("gated")
	skynet.call(gated, "lua", "open", { address = "127.0.0.1", port = port, servername = "sample" })
	local secret = crypt.randomkey()
	local subid = skynet.call(gated, "lua", "login", "alice", secret)
	local username = string.format("%s@%s#%s", crypt.base64encode("alice"), crypt.base64encode("sample"),
		crypt.base64encode(tostring(subid)))

	local fd, answer = connect(username, 1, secret)
	print("handshake", answer)
	print("request", request(fd, "hello", 1))
	print("failing", request(fd, "fail", 2))
	socket.close(fd)

	fd, answer = connect(username, 2, secret)
	print("reconnect", answer)
	print("again", request(fd, "hello", 1))   -- the cached answer: not run again
	print("new", request(fd, "world", 3))
	socket.close(fd)

	print("expired", select(2, connect(username, 2, secret)))
	print("unknown", select(2, connect("nobody@x#y", 1, secret)))
	print("hmac", select(2, connect(username, 3, crypt.randomkey())))
	for name, text in pairs { garbage = "garbage", badindex = username .. ":x:" .. crypt.base64encode("h") } do
		fd = assert(socket.open("127.0.0.1", port))
		send(fd, text)
		print(name, receive(fd))
		socket.close(fd)
	end
	print("done")
end)
