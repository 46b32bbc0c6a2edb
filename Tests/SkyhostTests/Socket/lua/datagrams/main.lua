-- UDP between services of one node: an echo server answering with sendto, a client connected
-- with udp_connect, an IPv6 pair (udp_listen / udp_dial), and names resolved.
local skynet = require "skynet"
local socket = require "skynet.socket"

local function collector(count, done)
	local got = {}
	return got, function(str, from)
		got[#got + 1] = { str, from }
		if #got == count then
			done()
		end
	end
end

local function wait_for(flag)
	while not flag.done do
		flag.co = coroutine.running()
		skynet.wait(flag.co)
	end
end

local function signal(flag)
	return function()
		flag.done = true
		if flag.co then skynet.wakeup(flag.co) end
	end
end

skynet.start(function()
	-- IPv4: 100 datagrams, binary payloads, each answered to its sender
	local server
	server = socket.udp(function(str, from)
		socket.sendto(server, from, "OK " .. str)
	end, "127.0.0.1", 0)
	local port
	for _, info in ipairs(socket.netstat()) do
		if info.id == server then
			port = tonumber(info.peer:match(":(%d+)$"))
		end
	end
	local replies = { }
	local got, on_reply = collector(100, signal(replies))
	local client = socket.udp(on_reply)
	socket.udp_connect(client, "127.0.0.1", port)
	for i = 1, 100 do
		socket.write(client, "d\0" .. i)
	end
	wait_for(replies)
	local ok, from_ip, from_port = true, socket.udp_address(got[1][2])
	local seen = {}
	for _, r in ipairs(got) do
		seen[r[1]] = true
		ok = ok and r[2] == got[1][2]
	end
	local all = true
	for i = 1, 100 do all = all and seen["OK d\0" .. i] end
	print("v4", #got, all, ok, from_ip, from_port == port)

	-- IPv6: udp_listen and udp_dial
	local v6
	v6 = socket.udp_listen("::1", 0, function(str, from)
		socket.sendto(v6, from, "v6 " .. str)
	end)
	local v6port
	for _, info in ipairs(socket.netstat()) do
		if info.id == v6 then v6port = tonumber(info.peer:match(":(%d+)$")) end
	end
	local v6replies = {}
	local got6, on_v6 = collector(1, signal(v6replies))
	local dialer = socket.udp_dial("::1", v6port, on_v6)
	socket.write(dialer, "ping")
	wait_for(v6replies)
	print("v6", got6[1][1], socket.udp_address(got6[1][2]))

	-- bad input: a malformed address, an unknown host, a port out of range
	print("sendto", socket.sendto(server, "abc", "x"))
	print("address", pcall(socket.udp_address, "abc"))
	print("connect", pcall(socket.udp_connect, client, "no.such.host.invalid", 1))
	print("bind", pcall(socket.udp, nil, "127.0.0.1", 70000))

	-- names
	local names = socket.resolve("localhost")
	local has = false
	for _, ip in ipairs(names) do has = has or ip == "127.0.0.1" end
	print("resolve", has)
	print("unknown", pcall(socket.resolve, "no.such.host.invalid"))

	socket.close(client)
	socket.close(server)
	print("closed", socket.sendto(server, got[1][2], "x"))
	print("done")
end)
