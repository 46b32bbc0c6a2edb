-- skynet.db.redis against a server that answers "!!!" to every command.
local skynet = require "skynet"
local redis = require "skynet.db.redis"

skynet.start(function()
	local server = skynet.newservice("lineServer")
	local db = redis.connect { host = "127.0.0.1", port = skynet.call(server, "lua", "port") }
	print("garbage", pcall(db.get, db, "x"))
	print("again", pcall(db.set, db, "x", 1))
	print("server", skynet.call(server, "lua", "port") > 0)
	print("done")
end)
