-- Subscriptions through redis.watch, messages published from another connection.
local skynet = require "skynet"
local redis = require "skynet.db.redis"

skynet.start(function()
	local conf = { host = "127.0.0.1", port = tonumber(skynet.getenv "redis_port") }
	local w = redis.watch(conf)
	w:subscribe("news")
	w:psubscribe("room.*")
	local db = redis.connect(conf)
	skynet.fork(function()
		-- publish until both subscriptions are in place (a message to no subscriber is lost)
		while db:publish("news", "first") == 0 or db:publish("room.7", "second") == 0 do
			skynet.sleep(1)
		end
	end)
	local seen = {}
	while not (seen.news and seen.room) do
		local data, a, b = w:message()
		if a == "news" then
			seen.news = true
			print("message", data, a)
		elseif b == "room.*" then
			seen.room = true
			print("pmessage", data, a, b)
		end
	end
	w:disconnect()
	db:disconnect()
	print("done")
end)
