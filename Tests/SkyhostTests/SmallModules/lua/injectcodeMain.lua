-- skynet.injectcode on a running function and on a suspended coroutine; prints what it saw.
local skynet = require "skynet"
local injectcode = require "skynet.injectcode"

local shared = 10

local function running(...)
	local x, y = 1, 2
	local ok, sum = injectcode("x = x + 100; shared = shared + 1; return x + y + select('#', ...) + extra", nil, 0,
		{ extra = 1000 })
	print("running", ok, sum, x, y, shared)
	print("broken", injectcode("return = 1"))
	print("raises", injectcode("error('inside', 0)"))
end

skynet.start(function()
	running("a", "b")
	local co = coroutine.create(function(start)
		local count = start
		coroutine.yield()
		print("resumed", count)
	end)
	coroutine.resume(co, 5)
	print("suspended", injectcode("count = count * 3; return count", co, 1))
	coroutine.resume(co)
	print("done")
end)
