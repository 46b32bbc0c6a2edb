-- skynet.dns against dnsServer, with a hosts file of the test's own.
local skynet = require "skynet"
local dns = require "skynet.dns"

skynet.start(function()
	local server = skynet.newservice("dnsServer")
	dns.server("127.0.0.1", skynet.call(server, "lua", "port"))
	dns.DEFAULT_HOSTS = skynet.getenv("hosts_file")
	local ip, ips = dns.resolve("game.test")
	print("a", ip, table.concat(ips, " "))
	print("cached", dns.resolve("GAME.test"), skynet.call(server, "lua", "queries"))
	print("aaaa", dns.resolve("six.test", true))
	print("hosts", dns.resolve("lobby.test"))
	print("literal", dns.resolve("10.1.2.3"))
	print("illegal", dns.resolve("bad name!"))
	print("missing", pcall(dns.resolve, "missing.test"))
	print("garbage", pcall(dns.resolve, "garbage.test"))
	print("loop", pcall(dns.resolve, "loop.test"))
	print("after", dns.resolve("game.test"))
	print("done")
end)
