-- mqueue: answers "echo" calls in order, one at a time (each sleeps a little, so that they would
-- interleave if the queue did not serialise them); "fail" raises; "note" (a send) is logged.
local skynet = require "skynet"
local mqueue = require "skynet.mqueue"

local busy = false

skynet.start(function()
	mqueue.register(function(cmd, n)
		assert(not busy, "two messages at once")
		busy = true
		skynet.sleep(1)
		busy = false
		if cmd == "fail" then
			error("refused " .. n)
		elseif cmd == "note" then
			skynet.error("note " .. n)
			return
		end
		return n, mqueue.size()
	end)
end)
