-- The console on a free port, then the services named in the environment's test_services (each
-- "script args..."), in order; prints "ready" ("TOKEN <alice's token>" first on a node with an
-- update key).
local skynet = require "skynet"

skynet.start(function()
	skynet.newservice("debug_console", "127.0.0.1", "0")
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
