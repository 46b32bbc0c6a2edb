-- The console on a free port (:09), then the snax counter (:0a) started at 10 and .asker (:0b),
-- then the services named in the environment's test_services; prints "ready"
-- (and "TOKEN <alice's token>" first on a node with an update key).
local skynet = require "skynet"
local snax = require "skynet.snax"

skynet.start(function()
	skynet.newservice("debug_console", "127.0.0.1", "0")
	local counter = snax.newservice("counter", 10)
	skynet.name(".counter", counter.handle)
	skynet.newservice("asker")
	for line in (skynet.getenv "test_services" or ""):gmatch("[^,]+") do
		local words = {}
		for w in line:gmatch("%S+") do
			words[#words + 1] = w
		end
		skynet.newservice(table.unpack(words))
	end
	if skynet.getenv "update_key" then
		print("TOKEN " .. require("update_auth").generate_token("alice"))
	end
	print("ready")
end)
