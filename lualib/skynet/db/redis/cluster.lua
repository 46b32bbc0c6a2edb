-- skynet.db.redis.cluster: a Redis Cluster client over skynet.db.redis, with Skynet v1.8.0's API.
--
--   local rediscluster = require "skynet.db.redis.cluster"
--   local db = rediscluster.new({ { host = "127.0.0.1", port = 7000 }, ... },
--                               { read_slave = true, auth = nil, db = 0, max_connections = 256 },
--                               function(data, channel, pattern) end)   -- subscribed messages
--   db:set("k", "v"); db:get("k")               -- any command, sent to the node of its key
--   db:keyslot("{user}1")                       -- the hash slot of a key
--   db:get_connection_by_slot(slot):pipeline{...} -- a node's own connection (keys of one slot)
--   db:subscribe("chan"); db:publish("chan", "x")
--
-- The slots map comes from CLUSTER SLOTS on the first startup node that answers. A command goes
-- to the master of its key's slot (the first argument after the command name; the keys of EVAL
-- must share a slot); a MOVED answer updates the map (and asks for a fresh one before the next
-- command), an ASK answer sends the command once to the node named, with ASKING first. A node
-- that cannot be reached is replaced by a replica when `read_slave` is set (READONLY), else by a
-- random node, which redirects. After 16 redirections the command fails with the last error.

local skynet = require "skynet"
local redis = require "skynet.db.redis"
local crc16 = require "skynet.db.redis.crc16"

local HASH_SLOTS <const> = 16384
local MAX_REDIRECTIONS <const> = 16

local rediscluster = {}

local cluster = {}
cluster.__index = cluster

-- Runs `f(...)` once for `key` at a time: a coroutine that asks while another runs it waits for
-- that run and gets its results (two coroutines never open two connections to one node).
local running = {}

local function once(key, f, ...)
	local run = running[key]
	if run then
		local me = coroutine.running()
		table.insert(run.waiting, me)
		skynet.wait(me)
		return table.unpack(run.result, 1, run.result.n)
	end
	run = { waiting = {} }
	running[key] = run
	run.result = table.pack(xpcall(f, debug.traceback, ...))
	running[key] = nil
	for _, co in ipairs(run.waiting) do
		skynet.wakeup(co)
	end
	return table.unpack(run.result, 1, run.result.n)
end

local function node_name(node)
	return string.format("%s:%d", node.host, node.port)
end

--- A client for the cluster reachable through `startup_nodes` (see the header).
function rediscluster.new(startup_nodes, opt, onmessage)
	if #startup_nodes == 0 then
		startup_nodes = { startup_nodes }
	end
	opt = opt or {}
	local self = setmetatable({
		startup_nodes = startup_nodes,
		max_connections = opt.max_connections or 256,
		connections = {},       -- node name -> redis connection
		opt = opt,
		refresh_table_asap = false,
		slots = {},             -- slot -> master node { host, port, name, slaves }
		nodes = {},             -- the masters
		__onmessage = onmessage,
		__watching = {},        -- node name -> redis.watch connection
	}, cluster)
	self:initialize_slots_cache()
	return self
end

--- A new connection to `node`, with the options' auth and db.
function cluster:get_redis_link(node)
	return redis.connect { host = node.host, port = node.port, auth = self.opt.auth, db = self.opt.db or 0 }
end

--- Gives `node` its name ("host:port") if it has none.
function cluster:set_node_name(node)
	node.name = node.name or node_name(node)
end

-- A { host, port } node from an entry of CLUSTER SLOTS.
local function slots_node(entry)
	local host, port = entry[1], tonumber(entry[2])
	assert(host and port, "malformed CLUSTER SLOTS entry")
	return { host = host, port = port, name = string.format("%s:%d", host, port) }
end

--- Reads the slots map from the first startup node that answers CLUSTER SLOTS.
function cluster:initialize_slots_cache()
	self.slots = {}
	self.nodes = {}
	for _, startup in ipairs(self.startup_nodes) do
		local ok = pcall(function()
			for _, range in ipairs(self:get_connection(startup):cluster("slots")) do
				local master = slots_node(range[3])
				master.slaves = {}
				for i = 4, #range do
					table.insert(master.slaves, slots_node(range[i]))
				end
				table.insert(self.nodes, master)
				for slot = tonumber(range[1]), tonumber(range[2]) do
					self.slots[slot] = master
				end
			end
			self.refresh_table_asap = false
		end)
		if ok then
			break
		end
	end
end

--- Forgets the slots map (the next commands find their nodes through redirections).
function cluster:flush_slots_cache()
	self.slots = {}
end

--- The hash slot of `key`: of the part between the first "{" and the next "}" when that part
--- is not empty (a hash tag), else of the whole key.
function cluster:keyslot(key)
	key = tostring(key)
	local open = string.find(key, "{", 1, true)
	if open then
		local close = string.find(key, "}", open + 1, true)
		if close and close > open + 1 then
			key = string.sub(key, open + 1, close - 1)
		end
	end
	return crc16(key) % HASH_SLOTS
end

local keyless = { info = true, multi = true, exec = true, slaveof = true, config = true, shutdown = true }

--- The key a command is routed by: its first argument; the first key of EVAL / EVALSHA (whose
--- keys must share one slot); nil for commands that cannot be routed.
function cluster:get_key_from_command(argv)
	local name = string.lower(argv[1])
	if keyless[name] then
		return nil
	end
	if name == "eval" or name == "evalsha" then
		local first
		for i = 4, 3 + (tonumber(argv[3]) or 0) do
			local slot = self:keyslot(argv[i])
			if first and first ~= slot then
				error(string.format("%s - all keys must map to the same key slot", name))
			end
			first = slot
		end
		return argv[4]
	end
	return argv[2]
end

--- Closes one cached connection when there are already `max_connections`.
function cluster:close_existing_connection()
	local count = 0
	for _ in pairs(self.connections) do
		count = count + 1
	end
	if count >= self.max_connections then
		local name, conn = next(self.connections)
		self.connections[name] = nil
		pcall(conn.disconnect, conn)
	end
end

--- Closes every cached connection (they are made again when needed).
function cluster:close_all_connection()
	local connections = self.connections
	self.connections = {}
	for _, conn in pairs(connections) do
		pcall(conn.disconnect, conn)
	end
end

--- The cached connection to `node`, made if needed.
function cluster:get_connection(node)
	self:set_node_name(node)
	local name = node.name
	local ok, conn = once(name, function()
		local conn = self.connections[name]
		if not conn then
			self:close_existing_connection()
			conn = self:get_redis_link(node)
			self.connections[name] = conn
		end
		return conn
	end)
	assert(ok, conn)
	return conn
end

--- A connection to a node, chosen at random, that answers PING; raises if none does.
function cluster:get_random_connection()
	local order = {}
	for i = 1, #self.nodes do
		order[i] = i
	end
	for i = #order, 2, -1 do
		local j = math.random(i)
		order[i], order[j] = order[j], order[i]
	end
	for _, index in ipairs(order) do
		local node = self.nodes[index]
		local ok, conn = pcall(self.get_connection, self, node)
		if ok then
			if select(2, pcall(conn.ping, conn)) == "PONG" then
				return conn
			end
			self.connections[node.name] = nil
			pcall(conn.disconnect, conn)
		end
	end
	error("Can't reach a single startup node.")
end

--- The connection to the master of `slot` (a replica with `read_slave` if the master cannot be
--- reached, else a random node).
function cluster:get_connection_by_slot(slot)
	local node = self.slots[slot]
	if not node then
		return self:get_random_connection()
	end
	local ok, conn = pcall(self.get_connection, self, node)
	if ok then
		return conn
	end
	if self.opt.read_slave and node.slaves and #node.slaves > 0 then
		local replica = node.slaves[math.random(#node.slaves)]
		local replica_ok, replica_conn = pcall(self.get_connection, self, replica)
		if replica_ok then
			replica_conn:readonly()
			return replica_conn
		end
	end
	return self:get_random_connection()
end

-- "MOVED 3999 127.0.0.1:6381" / "ASK ..." from a redis error: kind, slot, node; or nil.
local function redirection(err)
	local message = string.match(err, "^.-:%d+: (.*)$") or err
	local kind, slot, host, port = string.match(message, "^(%u+) (%d+) (.+):(%d+)$")
	if kind == "MOVED" or kind == "ASK" then
		return kind, tonumber(slot), { host = host, port = tonumber(port), name = host .. ":" .. port }
	end
	return nil, message
end

local watch_commands = { subscribe = true, unsubscribe = true, psubscribe = true, punsubscribe = true }

--- Runs command `name` with its arguments on the node of its key, following redirections.
function cluster:call(...)
	local argv = table.pack(...)
	local name = argv[1]
	local key = self:get_key_from_command(argv)
	if not key then
		error("No way to dispatch this command to Redis Cluster: " .. tostring(name))
	end
	if watch_commands[name] then
		local conn = self:get_watch_connection_by_slot(self:keyslot(key))
		return conn[name](conn, table.unpack(argv, 2, argv.n))
	end
	if self.refresh_table_asap then
		self:initialize_slots_cache()
	end
	local asking, random, last_error
	for attempt = 1, MAX_REDIRECTIONS do
		local conn
		if asking then
			conn = self:get_connection(asking)
		elseif random then
			conn = self:get_random_connection()
			random = false
		else
			conn = self:get_connection_by_slot(self:keyslot(key))
		end
		local was_asking = asking
		asking = nil
		local result = table.pack(pcall(function()
			if was_asking then
				conn:asking()
			end
			return conn[name](conn, table.unpack(argv, 2, argv.n))
		end))
		if result[1] then
			return table.unpack(result, 2, result.n)
		end
		last_error = tostring(result[2])
		if last_error == "[Error: socket]" then
			random = true
			if attempt > MAX_REDIRECTIONS / 2 then
				skynet.sleep(10)
			end
		else
			local kind, slot, node = redirection(last_error)
			if not kind then
				error(slot, 0) -- the server's own error, without the channel's position
			end
			if kind == "ASK" then
				asking = node
			else
				self.refresh_table_asap = true
				local old = self.slots[slot]
				node.slaves = old and old.slaves
				self.slots[slot] = node
			end
		end
	end
	error(string.format("Too many Cluster redirections?,maybe node is disconnected (last error: %q)", last_error))
end

--- The subscription connection to the master of `slot`.
function cluster:get_watch_connection_by_slot(slot)
	if not self.slots[slot] then
		self:initialize_slots_cache()
	end
	return self:get_watch_connection(assert(self.slots[slot], "no node serves this slot"))
end

--- The subscription connection to `node`, made if needed; its messages go to `onmessage`.
function cluster:get_watch_connection(node)
	local name = node.name
	local ok, conn = once("watch " .. name, function()
		if not self.__watching[name] then
			local watch = redis.watch { host = node.host, port = node.port, auth = self.opt.auth, db = self.opt.db or 0 }
			self.__watching[name] = watch
			local onmessage = rawget(self, "__onmessage")
			skynet.fork(function()
				while getmetatable(watch) do
					local got, data, channel, pattern = pcall(watch.message, watch)
					if got and data and onmessage then
						pcall(onmessage, data, channel, pattern)
					elseif not got then
						skynet.sleep(10) -- the connection is being made again
					end
				end
			end)
		end
		return self.__watching[name]
	end)
	assert(ok, conn)
	return conn
end

-- Any other name is a command: db:get("k") is db:call("get", "k").
setmetatable(cluster, {
	__index = function(t, name)
		local function command(self, ...)
			return self:call(name, ...)
		end
		t[name] = command
		return command
	end,
})

return rediscluster
