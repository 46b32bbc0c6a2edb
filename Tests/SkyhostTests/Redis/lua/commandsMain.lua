-- Redis commands through skynet.db.redis against the test's redis-server (config redis_port).
local skynet = require "skynet"
local redis = require "skynet.db.redis"

local function show(...)
	local parts = table.pack(...)
	for i = 1, parts.n do
		local v = parts[i]
		if type(v) == "table" then
			local items = {}
			for j = 1, #v do items[j] = tostring(v[j]) end
			parts[i] = "{" .. table.concat(items, ",") .. "}"
		else
			parts[i] = tostring(v)
		end
	end
	print(table.concat(parts, " ", 1, parts.n))
end

skynet.start(function()
	local conf = { host = "127.0.0.1", port = tonumber(skynet.getenv "redis_port"), db = 1 }
	local db = redis.connect(conf)
	db:flushdb()
	show("set", db:set("greeting", "hello"))
	show("get", db:get("greeting"))
	show("missing", db:get("nothing"))
	show("incr", db:incr("counter"), db:incrby("counter", 41))
	show("exists", db:exists("greeting"), db:exists("nothing"))
	db:sadd("members", "ann")
	show("sismember", db:sismember("members", "ann"), db:sismember("members", "bob"))
	db:hmset("hash", "a", 1, "b", 2)
	show("hmget", db:hmget("hash", "a", "b", "c"))
	db:rpush("list", "x", "y", "z")
	show("lrange", db:lrange("list", 0, -1))
	local binary = "line\r\nbreak\0zero" .. string.rep("b", 1024 * 1024)
	db:set("binary", binary)
	show("binary", db:get("binary") == binary)
	show("error", pcall(db.hset, db, "hash"))
	show("wrongtype", pcall(db.lpush, db, "greeting", "x"))
	local resp = {}
	db:pipeline({ { "set", "p", 1 }, { "incr", "p" }, { "get", "p" }, { "lpush", "greeting", "x" } }, resp)
	local outs = {}
	for i, r in ipairs(resp) do outs[i] = tostring(r.ok) .. ":" .. tostring(r.out):sub(1, 9) end
	show("pipeline", table.concat(outs, " "))
	show("pipeline last", db:pipeline { { "incr", "p" }, { "incr", "p" } })
	-- many coroutines on one connection: each gets its own answer
	local done, wrong = 0, 0
	local me = coroutine.running()
	for i = 1, 200 do
		skynet.fork(function()
			db:set("k" .. i, i)
			if tonumber(db:get("k" .. i)) ~= i then wrong = wrong + 1 end
			done = done + 1
			if done == 200 then skynet.wakeup(me) end
		end)
	end
	skynet.wait(me)
	show("concurrent", done, wrong)
	local other = redis.connect { host = "127.0.0.1", port = conf.port }
	show("select", other:get("greeting"), other:select(1), other:get("greeting"))
	other:disconnect()
	db:disconnect()
	show("done")
end)
