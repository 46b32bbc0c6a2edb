-- A redis-server that goes away and comes back: requests fail with a clear error meanwhile,
-- then the connection is made again by the next request.
local skynet = require "skynet"
local redis = require "skynet.db.redis"

-- (in a fork, so that the node has booted and the test can stop the server meanwhile)
skynet.start(function() skynet.fork(function()
	local db = redis.connect { host = "127.0.0.1", port = tonumber(skynet.getenv "redis_port") }
	print("before", db:set("a", 1), db:get("a"))
	local ok, err
	repeat -- until the test has stopped the server
		ok, err = pcall(db.get, db, "a")
		if ok then skynet.sleep(2) end
	until not ok
	print("failed", tostring(err))
	repeat -- until the test has started it again
		ok, err = pcall(db.get, db, "a")
		if not ok then skynet.sleep(5) end
	until ok
	print("after", tostring(err), db:set("a", 2), db:get("a"))
	print("done")
end) end)
