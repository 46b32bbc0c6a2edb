-- Prints "name\tvalue" lines for BSONTests: the bytes of what bson.encode and bson.encode_order
-- make of every kind of value, and what bson.decode makes of documents given as bytes. Runs
-- unchanged on Skynet v1.8.0, whose output is the test's expected values. Skynet's bson.decode
-- takes only pointers: there, the bytes go through its mongo driver's reply parser, which hands
-- out a pointer to the document inside a reply; Skyhost's bson.decode also takes a string.
local skynet = require "skynet"
local bson = require "bson"
local report = require "bsonreport"
local out, hex, show = report.out, report.hex, report.show

local has_driver, driver = pcall(require, "skynet.mongo.driver")

local function unhex(text)
	return (text:gsub("%x%x", function(h)
		return string.char(tonumber(h, 16))
	end))
end

-- The decoded document of `bytes`, in one line.
local function decoded(bytes)
	if has_driver then
		-- An OP_MSG reply (after its length): request id, response to, opcode, flags, section 0.
		local reply = string.pack("<i4i4i4I4B", 0, 0, 2013, 0, 0) .. bytes
		local _, _, document = driver.reply(reply)
		return show(bson.decode(document))
	end
	return show(bson.decode(bytes))
end

-- A table whose pairs gives its keys in the order given (how a document with several keys gets a
-- known order: a plain table's order depends on its hash seed).
local function ordered(...)
	local keys, values = {}, {}
	for i = 1, select("#", ...), 2 do
		local k, v = select(i, ...)
		keys[#keys + 1] = k
		values[k] = v
	end
	return setmetatable({}, { __pairs = function()
		local i = 0
		return function()
			i = i + 1
			local k = keys[i]
			return k, values[k]
		end
	end })
end

local function one(value)
	return hex(bson.encode_order("v", value))
end

skynet.start(function()
	-- Numbers: integers that fit in 32 bits are int32, others int64; floats are doubles.
	for _, n in ipairs { 0, 1, -1, 2147483647, -2147483648, 2147483648, -2147483649, math.maxinteger,
		math.mininteger } do
		out("int " .. n, one(n))
	end
	for _, n in ipairs { 0.0, -0.0, 1.5, 3.0, 2 ^ 32 - 1, 1e308, -1e-308, math.huge, -math.huge, math.pi } do
		out(string.format("double %.17g", n), one(n))
	end
	out("double nan", one(0 / 0))
	-- Strings: UTF-8 checked, embedded zeros kept, a string of a lone zero is a string.
	for _, case in ipairs { { "empty", "" }, { "hello", "hello" }, { "zero", "a\0b" }, { "lonezero", "\0" },
		{ "accents", "h\xc3\xa9llo" }, { "cjk", "\xe4\xb8\xad\xe6\x96\x87" }, { "emoji", "\xf0\x9f\x98\x80" },
		{ "max", "\xf4\x8f\xbf\xbf" }, { "surrogate", "\xed\xa0\x80" } } do
		out("string " .. case[1], one(case[2]))
	end
	out("boolean true", one(true))
	out("boolean false", one(false))
	-- The markers.
	out("null", one(bson.null))
	out("minkey", one(bson.minkey))
	out("maxkey", one(bson.maxkey))
	out("binary", one(bson.binary "hello"))
	out("binary empty", one(bson.binary ""))
	out("binary subtype 4", one("\0\5\4" .. string.rep("\x11", 16)))
	out("regex", one(bson.regex("*", "i")))
	out("regex no options", one(bson.regex "hello"))
	out("regex options", one(bson.regex("^a.*z$", "imx")))
	out("date 0", one(bson.date(0)))
	out("date", one(bson.date(1700000000)))
	out("date -1", one(bson.date(-1)))
	out("date 2^32+5", one(bson.date(2 ^ 32 + 5)))
	out("timestamp", one(bson.timestamp(1700000000, 7)))
	out("timestamp default", one(bson.timestamp(1700000000)))
	out("objectid", one(bson.objectid "0123456789abcdef01234567"))
	out("objectid upper", one(bson.objectid "0123456789ABCDEF01234567"))
	out("int64 5", one(bson.int64(5)))
	out("int64 -1", one(bson.int64(-1)))
	out("jscode", one("\0\13" .. string.pack("<s4", "x=1\0")))
	-- Tables: arrays and documents as v1.8.0 tells them apart.
	out("array", one { 1, 2, 3 })
	out("array 12", one { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 })
	out("array nested", one { { 1 }, { "a" }, {} })
	out("array of documents", one { { x = 1 }, { y = "z" } })
	out("array mixed", one { 1, 2, x = 3 })
	out("array from keys", one { [1] = "a", [2] = "b" })
	out("array __len", one(setmetatable({ n = 3 }, { __len = function(t) return t.n end,
		__index = function(_, i) return i * 10 end })))
	out("empty table", one {})
	out("document", one { x = { y = { z = true } } })
	out("document __pairs", one(ordered("b", 1, "a", 2, "c", ordered("z", 1, "y", 2))))
	out("encode __pairs", hex(bson.encode(ordered("k1", "v1", "k2", { 1, 2 }))))
	out("encode empty", hex(bson.encode {}))
	out("encode one", hex(bson.encode { hello = "world" }))
	out("encode_order empty", hex(bson.encode_order()))
	out("encode_order keys", hex(bson.encode_order("z", 1, "a", 2, "m", 3)))
	out("encode_order number key", hex(bson.encode_order(1, "one", 2.5, "two")))
	out("encode_order document", hex(bson.encode_order("o", bson.encode_order("x", 1), "l", { bson.encode { a = 1 } })))
	out("key utf8", hex(bson.encode_order("cl\xc3\xa9", 1)))

	-- Decoding.
	local function doc(body)
		return string.pack("<i4", #body + 5) .. body .. "\0"
	end
	local vectors = {
		scalars = "01640000000000000004400269000600000068656c6c6f00106b0007000000126a00ffffffffffffff7f"
			.. "0874000108660000087700020a6e00ff6d007f4d00",
		binary = "05620005000000006869212a2a056300030000000478797a",
		binary4 = "056300030000000478797a",
		objectid = "076f000123456789abcdef01234567",
		date = "09640000d22cc58f01000009650018fcffffffffffff09660001000000000000000967009a02000000000000",
		timestamp = "1174000700000065532b65",
		regex = "0b7200615e2a00696d00",
		nested = "036400240000000461000c00000010300001000000000465000500000000036600050000000000",
		array = "0474002900000002300002000000610002310002000000620002350002000000630002780002000000640000",
		duplicate = "1061000100000010610002000000026200020000007800",
		["string zero"] = "0273000400000061006200",
		jscode = "0d6a0004000000783d3100",
		symbol = "0e73000400000061626300",
		codews = "0f63001800000004000000783d31000c0000001078000100000000",
		dbpointer = "0c70000200000061000102030405060708090a0b0c",
	}
	local names = {}
	for name in pairs(vectors) do
		names[#names + 1] = name
	end
	table.sort(names)
	for _, name in ipairs(names) do
		out("decode " .. name, decoded(doc(unhex(vectors[name]))))
	end
	-- What bson.decode gives, encoded again: the same bytes.
	for _, name in ipairs { "jscode", "symbol", "codews", "dbpointer", "binary4", "regex", "timestamp", "objectid" } do
		local bytes = doc(unhex(vectors[name]))
		local value
		if has_driver then
			local _, _, document = driver.reply(string.pack("<i4i4i4I4B", 0, 0, 2013, 0, 0) .. bytes)
			value = bson.decode(document)
		else
			value = bson.decode(bytes)
		end
		local k = next(value)
		out("again " .. name, hex(bson.encode_order(k, value[k])) == hex(bytes))
	end
	-- A document object: its length, bytes, decode and its index of replaceable fields.
	local d = bson.encode_order("i", 1, "f", 2.5, "b", true, "d", bson.date(10), "t", bson.timestamp(1, 2),
		"o", bson.objectid "0123456789abcdef01234567", "l", bson.int64(7), "s", "str")
	out("object length", #d)
	out("object tostring", hex(tostring(d)))
	out("object decode", show(d:decode()))
	out("object field", tostring(d.i))
	out("makeindex returns", rawequal(d:makeindex(), d))
	d.i, d.f, d.b = -5, 7, false
	d.d, d.t, d.o, d.l = bson.date(20), bson.timestamp(5, 6), bson.objectid "ffffffffffffffffffffffff", -1
	out("replaced", hex(d))

	-- What bson.type says of every kind of value.
	local function kind(name, v)
		local r = table.pack(bson.type(v))
		for i = 2, r.n do
			r[i] = type(r[i]) == "string" and string.format("%q", r[i]) or tostring(r[i])
		end
		out("type " .. name, table.concat(r, " ", 1, r.n))
	end
	kind("nil", nil)
	kind("null", bson.null)
	kind("minkey", bson.minkey)
	kind("maxkey", bson.maxkey)
	kind("integer", 7)
	kind("float", 1.5)
	kind("boolean", false)
	kind("string", "abc")
	kind("lone zero", "\0")
	kind("binary", bson.binary "xy")
	kind("objectid", bson.objectid "0123456789abcdef01234567")
	kind("date", bson.date(-5))
	kind("timestamp", bson.timestamp(100, 7))
	kind("regex", bson.regex("p", "o"))
	kind("int64", bson.int64(-3))
	kind("jscode", "\0\13abc")
	out("type table", (bson.type {}))
	-- The markers' bytes.
	out("marker null", hex(bson.null))
	out("marker minkey", hex(bson.minkey))
	out("marker maxkey", hex(bson.maxkey))
	out("marker regex nil", hex(bson.regex("a", nil)))
	out("marker regex numbers", hex(bson.regex(12, 34)))
	out("marker regex table", hex(bson.regex("a", {})))
	out("marker binary nil", hex(bson.binary()))
	out("marker binary number", hex(bson.binary(12)))
	out("marker date 2^32+5", hex(bson.date(2 ^ 32 + 5)))
	out("marker timestamp", hex(bson.timestamp(5)) .. " " .. hex(bson.timestamp(5)))
	out("marker timestamp inc", hex(bson.timestamp(5, 2 ^ 32 + 3)) .. " " .. hex(bson.timestamp(2 ^ 32 + 9, -1)))
	local first, second = bson.timestamp(5, nil), bson.timestamp(5, nil)
	out("marker timestamp counter", string.unpack("<I4", second, 3) - string.unpack("<I4", first, 3))
	-- The module and its objects.
	local function sorted_keys(t)
		local r = {}
		for k in pairs(t) do
			r[#r + 1] = k
		end
		table.sort(r)
		return table.concat(r, ",")
	end
	out("module", sorted_keys(bson))
	out("metatable", sorted_keys(getmetatable(d)))
	out("methods", sorted_keys(getmetatable(d).__index))
	out("metatable name", getmetatable(d).__name)

	-- Errors (decode and the object's methods say where they were called from).
	local function err(name, f, ...)
		local ok, e = pcall(f, ...)
		out("error " .. name, ok and "no error" or (tostring(e):gsub("^.-([%w_]+%.lua:%d+:)", "%1")))
	end
	local t = {}
	t.self = t
	err("hole", bson.encode, { a = { 1, nil, 3 } })
	err("number key", bson.encode, { [2] = 1 })
	err("top-level array", bson.encode, { 1, 2 })
	err("boolean key", bson.encode, { [true] = 1 })
	err("function", bson.encode, { f = print })
	err("thread", bson.encode_order, "co", coroutine.create(print))
	local msg, sz = skynet.pack(1)
	err("light userdata", bson.encode_order, "p", msg)
	skynet.trash(msg, sz)
	err("cycle", bson.encode, t)
	err("not a table", bson.encode, "x")
	err("__len float", bson.encode_order, "a", setmetatable({}, { __len = function() return 1.5 end }))
	err("odd arguments", bson.encode_order, "a")
	err("table key", bson.encode_order, {}, 2)
	err("utf8 key", bson.encode_order, "\xff", 1)
	err("utf8 value", bson.encode_order, "a", "\xc3")
	err("overlong", bson.encode_order, "a", "\xc0\x80")
	err("beyond U+10FFFF", bson.encode_order, "a", "\xf4\x90\x80\x80")
	err("subtype", bson.encode_order, "a", "\0abc")
	err("objectid size", bson.encode_order, "a", "\0\7abc")
	err("date size", bson.encode_order, "a", "\0\9abc")
	err("objectid short", bson.objectid, "0123")
	err("objectid number", bson.objectid, 123)
	err("date float", bson.date, 1.5)
	err("int64 string", bson.int64, "x")
	err("type none", bson.type)
	err("type function", bson.type, print)
	err("type userdata", bson.type, d)
	err("type regex", bson.type, "\0\11abc")
	err("type subtype", bson.type, "\0\99abc")
	err("replace 2^40", function() d.i = 2 ^ 40 end)
	err("replace 1.5", function() d.i = 1.5 end)
	err("replace string", function() d.i = "3" end)
	err("replace double", function() d.f = "x" end)
	err("replace date", function() d.d = bson.timestamp(1) end)
	err("replace objectid", function() d.o = "\0\7abc" end)
	err("replace int64", function() d.l = 0.5 end)
	err("replace string field", function() d.s = "x" end)
	err("replace unknown", function() d.z = 1 end)
	err("replace before makeindex", function() bson.encode_order("a", 1).a = 2 end)
	err("makeindex table", getmetatable(d).__index.makeindex, {})
	print("done")
end)
