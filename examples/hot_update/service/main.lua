-- The hot-update walkthrough's start service: the debug console (on the `console` address of
-- the node's config), the updater (.updater), and `business_services` instances of the business
-- service template, named .business1, .business2, ...
local skynet = require "skynet"
require "skynet.manager"	-- skynet.name

skynet.start(function()
	local console = skynet.getenv("console") or "127.0.0.1:9666"
	local ip, port = console:match("^(.-):?(%d+)$")
	if ip == "" then
		ip = "127.0.0.1"
	end
	skynet.newservice("debug_console", ip, port)
	skynet.newservice("updater")
	local n = tonumber(skynet.getenv("business_services") or "3")
	for i = 1, n do
		local addr = skynet.newservice("business_service")
		skynet.name(".business" .. i, addr)
	end
	skynet.error("hot_update node ready:", n, "business services")
end)
