-- A DNS server for the resolver's test, on UDP: game.test has two A records, six.test one AAAA
-- record, missing.test does not exist, garbage.test is answered with bytes that are no DNS
-- answer, loop.test with a name whose compression pointer points at itself.
-- skynet.call(server, "lua", "port") gives its port, "queries" how many it was asked.
local skynet = require "skynet"
local socket = require "skynet.socket"

local queries = 0

local function answer(query)
	local id, _, _, _, pos = string.unpack(">HHHH", query)
	pos = pos + 4
	local labels, p = {}, pos
	while true do
		local label
		label, p = string.unpack("s1", query, p)
		if label == "" then break end
		labels[#labels + 1] = label
	end
	local qtype = string.unpack(">H", query, p)
	local question = query:sub(pos, p + 3)
	local name = table.concat(labels, ".")
	local function reply(rcode, records)
		local header = string.pack(">HHHHHH", id, 0x8180 | rcode, 1, #records, 0, 0)
		return header .. question .. table.concat(records)
	end
	local function record(rtype, ttl, rdata)
		return string.pack(">HHHI4s2", 0xc00c, rtype, 1, ttl, rdata)
	end
	if name == "game.test" and qtype == 1 then
		return reply(0, { record(1, 60, "\10\0\0\1"), record(1, 30, "\10\0\0\2") })
	elseif name == "six.test" and qtype == 28 then
		return reply(0, { record(28, 60, "\32\1\13\184" .. string.rep("\0", 11) .. "\1") })
	elseif name == "garbage.test" then
		return string.pack(">H", id) .. "\255\255\255\255 not a dns answer"
	elseif name == "loop.test" then
		local header = string.pack(">HHHHHH", id, 0x8180, 1, 0, 0, 0)
		return header .. "\192\12" .. string.pack(">HH", qtype, 1)
	end
	return reply(3, {})
end

skynet.start(function()
	local server
	server = socket.udp(function(query, from)
		queries = queries + 1
		socket.sendto(server, from, answer(query))
	end, "127.0.0.1", 0)
	local port
	for _, info in ipairs(socket.netstat()) do
		if info.id == server then port = tonumber(info.peer:match(":(%d+)$")) end
	end
	skynet.dispatch("lua", function(_, _, what)
		skynet.retpack(what == "port" and port or queries)
	end)
end)
