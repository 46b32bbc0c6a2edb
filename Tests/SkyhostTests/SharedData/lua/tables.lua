-- sharetable and datasheet as a service sees them: prints one line per behaviour.
local skynet = require "skynet"
local sharetable = require "skynet.sharetable"
local builder = require "skynet.datasheet.builder"
local datasheet = require "skynet.datasheet"

skynet.start(function()
	sharetable.loadtable("levels", { x = 1, list = { 1, 2 } })
	local a = sharetable.query("levels")
	local list = a.list
	sharetable.loadstring("levels", "return { x = ..., list = { 3, 4, 5 } }", 2)
	local b = sharetable.query("levels")
	print("sharetable before update: " .. a.x .. " " .. #list .. ", queried after: " .. b.x)
	sharetable.update("levels")
	print("sharetable after update: " .. a.x .. " " .. table.concat(list, ","))
	print("sharetable missing: " .. tostring((sharetable.query("nothing"))))
	sharetable.loadtable("other", { y = 1 })
	local names = {}
	for name, t in pairs(sharetable.queryall()) do
		names[#names + 1] = name .. ":" .. tostring(t.x or t.y)
	end
	table.sort(names)
	print("sharetable queryall: " .. table.concat(names, " "))

	builder.new("sheet", { a = 1, c = { 3 } })
	local t = datasheet.query("sheet")
	local c = t.c
	builder.update("sheet", { b = 4, c = { 5 } })
	while t.b ~= 4 do
		skynet.sleep(0)
	end
	print("datasheet after update: " .. tostring(t.a) .. " " .. t.b .. " " .. c[1])
	builder.new("compiled", builder.compile({ z = 26 }))
	print("datasheet compiled: " .. datasheet.query("compiled").z)
	print("datasheet missing raises: " .. tostring(not pcall(datasheet.query, "nothing")))
	print("tables done")
end)
