-- An echo server framed with skynet.netpack, as gateserver uses it: each packet a client sends
-- comes back to it as a packet "echo:<bytes>". Its port is logged ("port N"); a "close" or
-- "error" of a client is logged too. netpack's own functions are checked first.
local skynet = require "skynet"
local netpack = require "skynet.netpack"
local socketdriver = require "skynet.socketdriver"

local queue
local packets = 0

local function echo(fd, msg, sz)
	packets = packets + 1
	socketdriver.send(fd, netpack.pack("echo:" .. netpack.tostring(msg, sz)))
end

local handle = {}

function handle.init(_, _, port)
	skynet.error("port " .. port)
end

function handle.open(fd, addr)
	skynet.error("open " .. tostring(addr ~= nil))
	socketdriver.start(fd)
end

function handle.data(fd, msg, sz)
	echo(fd, msg, sz)
end

function handle.more()
	for fd, msg, sz in netpack.pop, queue do
		echo(fd, msg, sz)
	end
end

function handle.close(fd)
	skynet.error("close " .. fd)
	socketdriver.close(fd)
end

function handle.error(fd, reason)
	skynet.error("error " .. fd .. " " .. tostring(reason))
	socketdriver.close(fd)
end

function handle.warning() end

skynet.register_protocol {
	name = "socket",
	id = skynet.PTYPE_SOCKET,
	unpack = function(msg, sz)
		return netpack.filter(queue, msg, sz)
	end,
	dispatch = function(_, _, q, kind, ...)
		queue = q
		if kind then
			handle[kind](...)
		end
	end,
}

skynet.start(function()
	local msg, sz = netpack.pack("abc")
	print("pack", sz, netpack.tostring(msg, sz) == "\0\3abc")
	print("toolong", pcall(netpack.pack, string.rep("x", 65536)))
	print("pop", netpack.pop(nil))
	print("notsocket", pcall(netpack.filter, nil, netpack.pack(""), 2))
	skynet.dispatch("lua", function() skynet.retpack(packets) end)
	local listener = socketdriver.listen("127.0.0.1", 0)
	socketdriver.start(listener)
end)
