-- skynet.memory: prints what it says of the node's Lua heaps, then "done".
local skynet = require "skynet"
local memory = require "skynet.memory"

skynet.start(function()
	local info = memory.info()
	local sum, services = 0, 0
	for _, bytes in pairs(info) do
		sum = sum + bytes
		services = services + 1
	end
	local me = info[skynet.self()]
	print("mine", me ~= nil and me > 10000 and memory.current() > 10000)
	-- (the heaps move between the two readings: this service allocates, the others run)
	print("total", math.abs(memory.total() - sum) < sum / 10, services >= 5)
	print("blocks", memory.block() > services * 100)
	local before = memory.current()
	local hold = {}
	for i = 1, 10000 do
		hold[i] = { i }
	end
	print("grows", memory.current() > before + 10000 * 16, #hold)
	memory.dump()
	print("profactive", memory.profactive(true))
	print("done")
end)
