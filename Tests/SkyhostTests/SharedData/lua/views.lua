-- What a service reading a shared table sees: prints one line per behaviour.
local skynet = require "skynet"
local sharedata = require "skynet.sharedata"

local function keys(t)
	local list = {}
	for k, v in pairs(t) do
		list[#list + 1] = tostring(k) .. "=" .. (type(v) == "table" and "table" or tostring(v))
	end
	return table.concat(list, " ")
end

skynet.start(function()
	-- (as source, run by the keeper: a table reached twice, or a cycle, cannot travel in a message)
	sharedata.new("items", [[
		local shared = { 10, 20, 30, name = "sword", [2.5] = "float", [true] = "yes", price = 1.5,
			nested = { list = { "a", "b", "c" } }, big = math.maxinteger }
		shared.again = shared.nested	-- the same table twice
		shared.nested.up = shared	-- and a cycle
		return shared
	]])
	local t = sharedata.query("items")
	print("type: " .. type(t) .. ", same on query: " .. tostring(sharedata.query("items") == t))
	print("pairs: " .. keys(t))
	print("#: " .. #t .. ", concat: " .. table.concat(t, ",") .. ", unpack: " .. table.concat({ table.unpack(t) }, ","))
	local sum = 0
	for _, v in ipairs(t) do
		sum = sum + v
	end
	print("ipairs sum: " .. sum)
	print("values: " .. t.name .. " " .. t[2.5] .. " " .. t[true] .. " " .. t.price .. " " .. math.type(t.big) .. " "
		.. tostring(t.missing) .. " " .. tostring(t[2.0]))
	print("same view: " .. tostring(t.nested == t.nested) .. ", shared twice: " .. t.again.list[1]
		.. ", cycle: " .. t.nested.up.nested.up.name .. ", list: " .. table.concat(t.nested.list, ""))
	print("next: " .. tostring(next(t)) .. ", rawlen: " .. rawlen(t))
	print("write: " .. select(2, pcall(function() t.nested.list.x = 1 end)))
	local copy = sharedata.deepcopy("items", "nested", "list")
	copy[4] = "d"
	print("deepcopy: " .. type(copy) .. " " .. table.concat(copy, "") .. ", shared still " .. #t.nested.list)
	print("deepcopy scalar: " .. sharedata.deepcopy("items", "name"))
	-- Values that cannot be shared are refused with a reason; nothing is created.
	print("function: " .. select(2, pcall(sharedata.new, "bad", "return { f = print }")))
	print("table key: " .. select(2, pcall(sharedata.new, "bad", "return { [{}] = 1 }")))
	print("syntax: " .. select(2, pcall(sharedata.new, "bad", "return {")))
	print("deep: " .. select(2, pcall(sharedata.new, "bad",
		"local t = {} local at = t for _ = 1, 300 do at.next = {} at = at.next end return t")))
	print("missing: " .. select(2, pcall(sharedata.query, "bad")))
	-- A pointer that is no live shared table (a forged message) is refused, and the keeper ignores it.
	local frozen = require "skynet.frozen"
	print("forged: " .. select(2, pcall(frozen.view, debug.upvalueid(keys, 1))))
	skynet.send(skynet.uniqueservice("sharedatad"), "lua", "confirm", debug.upvalueid(keys, 1))
	-- An update the reader sees, the subtable it holds following; a subtable gone raises.
	local list = t.nested.list
	sharedata.update("items", { name = "axe", nested = { list = { "x" } } })
	while t.name ~= "axe" do
		skynet.sleep(0)
	end
	print("updated: " .. t.name .. " " .. table.concat(list, "") .. " #" .. #t)
	sharedata.update("items", { name = "bow" })
	while t.name ~= "bow" do
		skynet.sleep(0)
	end
	print("gone: " .. select(2, pcall(function() return list[1] end)))
	sharedata.delete("items")
	print("deleted: " .. select(2, pcall(sharedata.query, "items")))
	print("views done")
end)
