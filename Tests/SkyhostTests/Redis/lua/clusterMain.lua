-- skynet.db.redis.cluster against a three-node cluster (config redis_ports: "p1 p2 p3").
local skynet = require "skynet"
local rediscluster = require "skynet.db.redis.cluster"

skynet.start(function()
	local startup = {}
	for port in skynet.getenv("redis_ports"):gmatch("%d+") do
		startup[#startup + 1] = { host = "127.0.0.1", port = tonumber(port) }
	end
	local messages = {}
	local db = rediscluster.new(startup, { read_slave = true }, function(data, channel, pattern)
		messages[#messages + 1] = table.concat({ data, channel, pattern }, "|")
	end)
	print("keyslot", db:keyslot("foo"), db:keyslot("{foo}bar"), db:keyslot("{}foo") == db:keyslot("{}foo"))
	-- 200 keys over every node
	for i = 1, 200 do db:set("key" .. i, i) end
	local right, nodes = 0, {}
	for i = 1, 200 do
		if tonumber(db:get("key" .. i)) == i then right = right + 1 end
		nodes[db.slots[db:keyslot("key" .. i)].name] = true
	end
	local count = 0
	for _ in pairs(nodes) do count = count + 1 end
	print("keys", right, count)
	-- a redirection: the map forgotten, MOVED answers lead to the right nodes
	db:flush_slots_cache()
	print("moved", db:set("A", 1), db:get("A"))
	-- connections made again after being closed
	db:close_all_connection()
	print("reconnected", db:get("A"), db:del("A"))
	-- a pipeline on the connection of one slot (hash tags)
	local conn = db:get_connection_by_slot(db:keyslot("{foo}"))
	local resp = conn:pipeline({ { "del", "{foo}h" }, { "hmset", "{foo}h", "a", 1 }, { "hget", "{foo}h", "a" } }, {})
	print("pipeline", resp[2].ok, resp[2].out, resp[3].out)
	print("eval", db:eval("return redis.call('get', KEYS[1])", 1, "key7"))
	print("crossslot", pcall(db.eval, db, "return 1", 2, "a", "b"))
	print("unroutable", pcall(db.info, db))
	print("error", pcall(db.hget, db, "key1"))
	-- subscriptions
	db:subscribe("world")
	while db:publish("world", "hello") == 0 do skynet.sleep(1) end
	while #messages == 0 do skynet.sleep(1) end
	print("message", messages[1])
	print("done")
end)
