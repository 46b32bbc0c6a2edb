-- harbor.globalname / queryname: a name given after someone asked for it answers the asker.
local skynet = require "skynet"
local harbor = require "skynet.harbor"

skynet.start(function()
	local asked
	local main = coroutine.running()
	skynet.fork(function()
		asked = harbor.queryname("late")
		skynet.wakeup(main)
	end)
	harbor.globalname("me")
	print("me", harbor.queryname("me") == skynet.self())
	print("local", harbor.queryname(".launcher") == skynet.localname(".launcher"))
	local other = skynet.newservice("queueServer")
	harbor.globalname("late", other)
	if asked == nil then
		skynet.wait(main)
	end
	print("late", asked == other)
	harbor.link(0)
	print("done")
end)
