-- A writer publishes 200 versions of a value ({ n, n * 2, string.rep("x", n) }) while 10
-- readers (reader.lua) poll it; then the writer lets the object go. Prints "written" at the end.
local skynet = require "skynet"
local stm = require "skynet.stm"

skynet.start(function()
	local obj = stm.new(skynet.pack(0, 0, ""))
	local readers = {}
	for i = 1, 10 do
		readers[i] = skynet.newservice("reader")
		skynet.call(readers[i], "lua", "start", stm.copy(obj))
	end
	for n = 1, 200 do
		obj(skynet.pack(n, n * 2, string.rep("x", n)))
		if n % 20 == 0 then
			skynet.sleep(1)
		end
	end
	for i = 1, 10 do
		skynet.call(readers[i], "lua", "wait", 200)
	end
	obj = nil	-- luacheck: ignore 311 (the writer lets go: collected below)
	collectgarbage()
	for i = 1, 10 do
		print(skynet.call(readers[i], "lua", "report"))
	end
	print("written")
end)
