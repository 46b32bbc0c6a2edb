-- cmemory: prints what the node's Lua services hold (skynet.memory), then exits, as Skynet's.
local skynet = require "skynet"
local memory = require "skynet.memory"

memory.dumpinfo()
for handle, bytes in pairs(memory.info()) do
	print(string.format(":%08x %gK", handle, bytes / 1024))
end
print("Total memory:", memory.total())
print("Total block:", memory.block())

skynet.start(function()
	skynet.exit()
end)
