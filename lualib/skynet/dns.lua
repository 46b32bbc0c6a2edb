-- skynet.dns: an asynchronous DNS resolver over UDP, with Skynet v1.8.0's API.
--
--   local dns = require "skynet.dns"
--   dns.server("8.8.8.8", 53)        -- optional: else the first nameserver of /etc/resolv.conf
--   local ip, ips = dns.resolve("example.com")         -- A records
--   local ip6, ips6 = dns.resolve("example.com", true) -- AAAA records
--   dns.flush()                      -- forget the cached answers
--
-- A name in /etc/hosts (dns.DEFAULT_HOSTS) is answered from there; an IP address is answered
-- as itself; an invalid name returns nil and "illegal name". Other names are asked to the server
-- (one UDP socket per service, closed after a minute without queries) and the answers cached
-- for their TTL. A query that gets no answer within 30 seconds, or an answer the server marks
-- as an error, raises "timeout or no answer" (an expired cached answer is returned instead if
-- there is one). A malformed answer is logged and fails the query it answers with the reason.

local skynet = require "skynet"
local socket = require "skynet.socket"

local dns = {}

dns.DEFAULT_HOSTS = "/etc/hosts"
dns.DEFAULT_RESOLV_CONF = "/etc/resolv.conf"

local MAX_NAME_LENGTH <const> = 1024
local MAX_LABEL_LENGTH <const> = 63
local HEADER_LENGTH <const> = 12
local QUERY_TIMEOUT <const> = 30 * 100        -- centiseconds
local SERVER_IDLE <const> = 60 * 100          -- the socket closes after this long unused
local TYPE_A <const> = 1
local TYPE_AAAA <const> = 28
local CLASS_IN <const> = 1
local FLAG_RECURSION_DESIRED <const> = 0x100

-- Cached answers by record type, then name: { answers = { ip... }, expires = skynet.now() }.
local cache = {}

--- Forgets every cached answer.
function dns.flush()
	cache[TYPE_A] = setmetatable({}, { __mode = "kv" })
	cache[TYPE_AAAA] = setmetatable({}, { __mode = "kv" })
end
dns.flush()

-- Names ------------------------------------------------------------------------------------------

-- "ipv4", "ipv6" or "hostname".
local function kind_of(name)
	if name:match("^[%d%.]+$") then
		return "ipv4"
	elseif name:find(":", 1, true) then
		return "ipv6"
	end
	return "hostname"
end

local function valid_name(name)
	if #name > MAX_NAME_LENGTH or not name:match("^[_%l%d%-%.]+$") then
		return false
	end
	for label in name:gmatch("[^%.]+") do
		if #label > MAX_LABEL_LENGTH then
			return false
		end
	end
	return true
end

-- /etc/hosts as hosts[name] = { ipv4 = { ip... }, ipv6 = { ip... } } (read once).
local hosts

local function read_hosts()
	local result = {}
	local file = dns.DEFAULT_HOSTS and io.open(dns.DEFAULT_HOSTS)
	if not file then
		return result
	end
	for line in file:lines() do
		local ip, names = line:match("^%s*([%[%]%x%.:]+)%s+([^#;]+)")
		local family = ip and kind_of(ip)
		if family and family ~= "hostname" then
			for name in names:gmatch("%S+") do
				name = name:lower()
				local entry = result[name] or {}
				result[name] = entry
				entry[family] = entry[family] or {}
				table.insert(entry[family], ip)
			end
		end
	end
	file:close()
	return result
end

local function from_hosts(name, ipv6)
	hosts = hosts or read_hosts()
	local entry = hosts[name]
	local list = entry and entry[ipv6 and "ipv6" or "ipv4"]
	if list then
		return list[1], list
	end
end

-- The wire format ------------------------------------------------------------------------------

local function query_packet(id, name, qtype)
	local parts = { string.pack(">HHHHHH", id, FLAG_RECURSION_DESIRED, 1, 0, 0, 0) }
	for label in name:gmatch("[^%.]+") do
		parts[#parts + 1] = string.pack("s1", label)
	end
	parts[#parts + 1] = "\0"
	parts[#parts + 1] = string.pack(">HH", qtype, CLASS_IN)
	return table.concat(parts)
end

-- A name at `pos` (following compression pointers, at most 64 of them): name, position after.
local function read_name(packet, pos)
	local labels, after = {}, nil
	for _ = 1, 128 do
		local length = string.unpack("B", packet, pos)
		if length & 0xc0 == 0xc0 then
			local pointer = string.unpack(">H", packet, pos) & 0x3fff
			after = after or pos + 2
			pos = pointer + 1
		elseif length == 0 then
			return table.concat(labels, "."), after or pos + 1
		else
			local label
			label, pos = string.unpack("s1", packet, pos)
			labels[#labels + 1] = label
		end
	end
	error("name compression loops", 0)
end

local function ip_text(qtype, rdata)
	if qtype == TYPE_A and #rdata == 4 then
		return string.format("%d.%d.%d.%d", string.byte(rdata, 1, 4))
	elseif qtype == TYPE_AAAA and #rdata == 16 then
		return string.format("%x:%x:%x:%x:%x:%x:%x:%x", string.unpack(">HHHHHHHH", rdata))
	end
	error("address record of " .. #rdata .. " bytes", 0)
end

-- The answer in `packet`: id, flags, the name asked, { [qtype] = { answers, ttl } }. Raises
-- (string.unpack's or its own error) when the packet is malformed.
local function parse_answer(packet)
	local id, flags, questions, answers, pos = string.unpack(">HHHH", packet)
	pos = pos + 4 -- authority and additional counts
	if questions ~= 1 then
		error("answer with " .. questions .. " questions", 0)
	end
	local name
	name, pos = read_name(packet, pos)
	pos = pos + 4 -- its type and class
	local found = {}
	for _ = 1, answers do
		local qtype, ttl, rdata
		_, pos = read_name(packet, pos)
		qtype, _, ttl, rdata, pos = string.unpack(">HHI4s2", packet, pos)
		if qtype == TYPE_A or qtype == TYPE_AAAA then
			local record = found[qtype] or { answers = {}, ttl = ttl }
			found[qtype] = record
			record.answers[#record.answers + 1] = ip_text(qtype, rdata)
			record.ttl = math.min(record.ttl, ttl)
		end
	end
	return id, flags, name:lower(), found
end

-- Queries ---------------------------------------------------------------------------------------

local pending = {}   -- id -> { name =, qtype =, co =, answers =, error = }
local last_id = 0

local function new_id()
	for _ = 1, 65535 do
		last_id = last_id % 65535 + 1
		if not pending[last_id] then
			return last_id
		end
	end
	error("too many DNS queries at once")
end

local function on_answer(packet)
	if #packet < HEADER_LENGTH then
		skynet.error("Recv an invalid package when dns query")
		return
	end
	local ok, id, flags, name, found = pcall(parse_answer, packet)
	if not ok then
		local message = "malformed DNS answer: " .. tostring(id)
		skynet.error(message)
		local query = pending[string.unpack(">H", packet)]
		if query then
			query.error = message
			skynet.wakeup(query.co)
		end
		return
	end
	for qtype, record in pairs(found) do
		cache[qtype][name] = { answers = record.answers, expires = skynet.now() + record.ttl * 100 }
	end
	local query = pending[id]
	if not query then -- timed out already
		return
	end
	if name ~= query.name then
		skynet.error("Recv an invalid name when dns query")
	end
	if flags & 0xf == 0 and cache[query.qtype][query.name] then
		query.answers = cache[query.qtype][query.name].answers
	end
	skynet.wakeup(query.co)
end

local server = { address = nil, port = nil, fd = nil, used = 0 }

local function first_nameserver()
	local file = dns.DEFAULT_RESOLV_CONF and io.open(dns.DEFAULT_RESOLV_CONF)
	if not file then
		return nil
	end
	local address
	for line in file:lines() do
		address = line:match("^%s*nameserver%s+([^#;%s]+)")
		if address then
			break
		end
	end
	file:close()
	return address
end

--- Sets the server asked (port 53 by default).
function dns.server(address, port)
	server.address = address
	server.port = port or 53
end

-- The server's socket, opened if needed; closed again once idle for a minute.
local function server_socket()
	server.used = skynet.now()
	if server.fd then
		return server.fd
	end
	if not server.address then
		server.address, server.port = first_nameserver(), 53
	end
	assert(server.address, "Call dns.server first")
	local fd = socket.udp(on_answer)
	local ok, err = pcall(socket.udp_connect, fd, server.address, server.port)
	if not ok then
		socket.close(fd)
		error(err)
	end
	server.fd = fd
	skynet.error(string.format("Udp server open %s:%s (%d)", server.address, server.port, fd))
	local function close_when_idle()
		if skynet.now() <= server.used + SERVER_IDLE then
			skynet.timeout(2 * SERVER_IDLE, close_when_idle)
		elseif server.fd then
			local closing = server.fd
			server.fd = nil
			socket.close(closing)
			skynet.error(string.format("Udp server close %s:%s (%d)", server.address, server.port, closing))
		end
	end
	skynet.timeout(2 * SERVER_IDLE, close_when_idle)
	return fd
end

local function cached(name, qtype, even_expired)
	local entry = cache[qtype][name]
	if entry and (even_expired or entry.expires > skynet.now()) then
		return entry.answers
	end
end

local function ask(name, ipv6)
	local qtype = ipv6 and TYPE_AAAA or TYPE_A
	local answers = cached(name, qtype)
	if answers then
		return answers[1], answers
	end
	local id = new_id()
	local fd = server_socket()
	local query = { name = name, qtype = qtype, co = coroutine.running() }
	pending[id] = query
	socket.write(fd, query_packet(id, name, qtype))
	skynet.timeout(QUERY_TIMEOUT, function()
		if pending[id] == query then
			skynet.error(string.format("DNS query %s timeout", name))
			pending[id] = nil
			skynet.wakeup(query.co)
		end
	end)
	skynet.wait(query.co)
	pending[id] = nil
	if query.error then
		error(query.error)
	end
	if not query.answers then
		answers = cached(name, qtype, true)
		if answers then
			return answers[1], answers
		end
		error("timeout or no answer")
	end
	return query.answers[1], query.answers
end

--- The first address of `name` and all of them (IPv6 ones with `ipv6`); see the header.
function dns.resolve(name, ipv6)
	name = name:lower()
	if kind_of(name) ~= "hostname" then
		return name -- an address is its own answer, whichever family was asked (as Skynet)
	end
	if not valid_name(name) then
		return nil, "illegal name"
	end
	local ip, ips = from_hosts(name, ipv6)
	if ip then
		return ip, ips
	end
	return ask(name, ipv6)
end

return dns
