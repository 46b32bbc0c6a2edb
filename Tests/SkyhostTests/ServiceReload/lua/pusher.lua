-- Sends .counter "push 1", "push 2", ... in bursts of 500, each burst followed by a get, until a
-- get answers v2 and 20,000 pushes have gone; prints how many.
local skynet = require "skynet"

skynet.start(function()
	skynet.fork(function()
		local i = 0
		while true do
			for _ = 1, 500 do
				i = i + 1
				skynet.send(".counter", "lua", "push", i)
			end
			local version = skynet.call(".counter", "lua", "get")
			if version == "v2" and i >= 20000 then
				break
			end
		end
		print("pusher: " .. i .. " pushes")
	end)
end)
