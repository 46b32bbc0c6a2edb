-- Messages and a call to the global name LATER before any service has it, then the service
-- that takes the name.
local skynet = require "skynet"

skynet.start(function()
	local main = coroutine.running()
	local echoed
	for i = 1, 3 do
		skynet.send("LATER", "lua", "note", i)
	end
	skynet.fork(function()
		echoed = skynet.call("LATER", "lua", "echo", "held call")
		skynet.wakeup(main)
	end)
	skynet.newservice("laterServer")
	if echoed == nil then
		skynet.wait(main)
	end
	print("echo", echoed)
	skynet.send("LATER", "lua", "note", 4)
	print("notes", skynet.call("LATER", "lua", "notes"))
	print("done")
end)
