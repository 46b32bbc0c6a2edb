-- Prints "name\tvalue" lines for BSONTests: every kind of value through bson.encode and
-- bson.decode (and encode_order), compared with what went in; what each kind comes back as.
local skynet = require "skynet"
local bson = require "bson"
local report = require "bsonreport"
local out, show = report.out, report.show

-- Whether a and b are the same value: floats compared bit for bit (so NaN equals NaN and -0.0
-- differs from 0.0), integers and floats never equal, tables by their contents.
local function same(a, b)
	if type(a) ~= type(b) then
		return false
	end
	if type(a) == "number" then
		if math.type(a) ~= math.type(b) then
			return false
		end
		return math.type(a) == "integer" and a == b or string.pack("<d", a) == string.pack("<d", b)
	end
	if type(a) ~= "table" then
		return a == b
	end
	for k, v in pairs(a) do
		if not same(v, b[k]) then
			return false
		end
	end
	for k in pairs(b) do
		if a[k] == nil then
			return false
		end
	end
	return true
end

local big = string.rep("0123456789abcdef", 8192)
local nested = { leaf = true }
for i = 1, 100 do
	nested = { ["level" .. i] = nested, list = { i, { i } } }
end

-- name, value, and what decode gives back when it is not the value itself.
local cases = {
	{ "int32", 123456 },
	{ "int32 min", -2147483648 },
	{ "int32 max", 2147483647 },
	{ "int64", 2147483648 },
	{ "int64 min", math.mininteger },
	{ "int64 max", math.maxinteger },
	{ "double", 1.25 },
	{ "double integral", 3.0 },
	{ "double -0", -0.0 },
	{ "double inf", math.huge },
	{ "double -inf", -math.huge },
	{ "double nan", 0 / 0 },
	{ "double tiny", 4.9e-324 },
	{ "string", "hello" },
	{ "string empty", "" },
	{ "string zeros", "a\0b\0" },
	{ "string lone zero", "\0" },
	{ "string utf8", "h\xc3\xa9llo \xe4\xb8\xad\xe6\x96\x87 \xf0\x9f\x98\x80" },
	{ "string 128 KiB", big },
	{ "true", true },
	{ "false", false },
	{ "null", bson.null },
	{ "minkey", bson.minkey },
	{ "maxkey", bson.maxkey },
	{ "binary", bson.binary "\0\1\2\255" },
	{ "binary empty", bson.binary "" },
	{ "binary subtype", "\0\5\128user defined" },
	{ "objectid", bson.objectid() },
	{ "objectid parsed", bson.objectid "5f2b8c1e9d3a4b5c6d7e8f90" },
	{ "date", bson.date(1700000000) },
	{ "date negative", bson.date(-86400) },
	{ "timestamp", bson.timestamp(1700000000, 42) },
	{ "regex", bson.regex("^ab+c$", "i") },
	{ "regex empty", bson.regex("") },
	{ "int64 marker", bson.int64(42), 42 },
	{ "int64 marker big", bson.int64(-1 << 40), -1 << 40 },
	{ "jscode", "\0\13" .. string.pack("<s4", "return 1\0") },
	{ "symbol", "\0\14" .. string.pack("<s4", "sym\0") },
	{ "array", { 1, "two", 3.5, false, { 5 } } },
	{ "array of nulls", { bson.null, bson.null } },
	{ "array 1000", (function()
		local t = {}
		for i = 1, 1000 do
			t[i] = i * i
		end
		return t
	end)() },
	{ "document", { name = "skyhost", tags = { "a", "b" }, meta = { created = bson.date(0), id = bson.objectid() } } },
	{ "empty table", {} },
	{ "nested 100", nested },
	{ "document object", bson.encode { inner = 1 }, { inner = 1 } },
	{ "array __len", setmetatable({}, { __len = function() return 3 end, __index = function(_, i) return -i end }),
		{ -1, -2, -3 } },
	{ "document __pairs", setmetatable({}, { __pairs = function() return next, { a = 1, b = { 2 } } end }),
		{ a = 1, b = { 2 } } },
}

skynet.start(function()
	local passed = 0
	for _, case in ipairs(cases) do
		local name, value, expected = case[1], case[2], case[3]
		if expected == nil then
			expected = value
		end
		local ok, back = pcall(function()
			return bson.decode(bson.encode { v = value }).v
		end)
		local ok_order, back_order = pcall(function()
			return bson.decode(bson.encode_order("first", 1, "v", value, "last", 2)).v
		end)
		if ok and ok_order and same(back, expected) and same(back_order, expected) then
			passed = passed + 1
		else
			out("mismatch " .. name, tostring(ok and show(back) or back) .. " / " .. tostring(ok_order and show(back_order)
				or back_order))
		end
	end
	out("round trips", passed .. " of " .. #cases)

	-- A document's bytes decode the same through a string (Skyhost's addition) and the object.
	local doc = bson.encode_order("a", 1, "b", { "x", { y = bson.null } }, "c", bson.timestamp(9, 8))
	out("string decode", show(bson.decode(tostring(doc))) == show(doc:decode()))
	out("keys in order", table.concat({ tostring(doc):find("a\0", 1, true), tostring(doc):find("b\0", 1, true),
		tostring(doc):find("c\0", 1, true) }, " "))
	-- What comes back for each kind (the int64 marker comes back as an integer, a document
	-- object as its table).
	out("kinds", show(bson.decode(bson.encode_order("i", 1, "l", 1 << 40, "f", 0.5, "m", bson.int64(3), "o",
		bson.encode_order("x", 1), "e", {}))))
	-- makeindex and in-place replacement of every replaceable type.
	local d = bson.encode_order("f", 1.5, "b", true, "o", bson.objectid "000000000000000000000000", "d", bson.date(1),
		"t", bson.timestamp(1, 1), "i", 1, "l", 1 << 40, "s", "fixed")
	d:makeindex()
	d.f, d.b, d.o, d.d = -2.25, false, bson.objectid "ffffffffffffffffffffffff", bson.date(1700000000)
	d.t, d.i, d.l = bson.timestamp(7, 3), -7, math.mininteger
	out("replaced", show(d:decode()))
	out("replaced length", #d == #tostring(d))
	print("done")
end)
