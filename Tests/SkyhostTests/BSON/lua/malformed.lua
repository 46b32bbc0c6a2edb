-- Prints "name\tvalue" lines for BSONTests: bad documents and bad values, each a Lua error
-- whose message is printed; then a fuzzing run (fuzz.lua, in a service of its own); then that
-- the node still serves.
local skynet = require "skynet"
local bson = require "bson"
local memory = require "skynet.memory"
local report = require "bsonreport"
local out = report.out

-- The error decoding `bytes` (a string) raises, without its position.
local function decode_error(name, bytes)
	local ok, e = pcall(bson.decode, bytes)
	out("decode " .. name, ok and "no error" or (tostring(e):gsub("^[^:]*%.lua:%d+: ", "")))
end

local function encode_error(name, f, ...)
	local ok, e = pcall(f, ...)
	out("encode " .. name, ok and "no error" or (tostring(e):gsub("^[^:]*%.lua:%d+: ", "")))
end

-- A document of the given element bytes, with a correct length and end.
local function doc(body)
	return string.pack("<i4", #body + 5) .. body .. "\0"
end

local function element(type_code, key, value)
	return string.char(type_code) .. key .. "\0" .. value
end

local function nested(levels)
	local d = doc("")
	for _ = 2, levels do
		d = doc(element(3, "d", d))
	end
	return d
end

skynet.start(function()
	local valid = doc(element(2, "s", string.pack("<s4", "hello\0")) .. element(0x10, "i", string.pack("<i4", 7)))
	decode_error("valid", valid)
	decode_error("empty string", "")
	decode_error("too short", "\5\0\0")
	decode_error("truncated", valid:sub(1, -4))
	decode_error("prefix too small", string.pack("<i4", #valid - 1) .. valid:sub(5))
	decode_error("prefix too large", string.pack("<i4", #valid + 1) .. valid:sub(5))
	decode_error("prefix negative", string.pack("<i4", -1) .. valid:sub(5))
	decode_error("no document end", valid:sub(1, -2) .. "x")
	decode_error("inner length too large", doc(element(3, "d", string.pack("<i4", 64) .. "\0")))
	decode_error("inner length too small", doc(element(3, "d", string.pack("<i4", 3) .. "\0\0\0\0")))
	decode_error("inner end", doc(element(3, "d", string.pack("<i4", 5) .. "x")))
	decode_error("type undefined", doc(element(6, "u", "")))
	decode_error("type decimal128", doc(element(0x13, "n", string.rep("\0", 16))))
	decode_error("type unknown", doc(element(0x42, "x", "")))
	decode_error("type zero", doc(element(0, "x", "")))
	decode_error("string without terminator", doc(element(2, "s", string.pack("<i4", 3) .. "abc")))
	decode_error("string length 0", doc(element(2, "s", string.pack("<i4", 0))))
	decode_error("string length negative", doc(element(2, "s", string.pack("<i4", -5) .. "abcdef")))
	decode_error("string past the end", doc(element(2, "s", string.pack("<i4", 100) .. "abc\0")))
	decode_error("key without terminator", string.pack("<i4", 9) .. "\16abc\0")
	decode_error("binary length negative", doc(element(5, "b", string.pack("<i4", -1) .. "\0")))
	decode_error("binary past the end", doc(element(5, "b", string.pack("<i4", 10) .. "\0abc")))
	decode_error("objectid short", doc(element(7, "o", "short")))
	decode_error("regex without terminators", doc(element(11, "r", "abc")))
	decode_error("code with scope too short", doc(element(15, "c", string.pack("<i4", 4))))
	decode_error("nested 1000", nested(1000))
	decode_error("nested 1001", nested(1001))
	decode_error("array nested 5000", (function()
		local d = doc("")
		for _ = 2, 5000 do
			d = doc(element(4, "0", d))
		end
		return d
	end)())
	out("decode nothing", select("#", bson.decode(nil)) .. " " .. select("#", bson.decode({})) .. " " ..
		select("#", bson.decode(42)))

	local cycle = {}
	cycle.again = { cycle }
	encode_error("cycle", bson.encode, cycle)
	encode_error("function", bson.encode, { callback = print })
	encode_error("function in array", bson.encode, { list = { 1, print } })
	local deep = {}
	for _ = 1, 200 do
		deep = { deep }
	end
	encode_error("too deep", bson.encode, { deep = deep })
	encode_error("key with zero", bson.encode_order, "a\0b", 1)
	encode_error("key with zero in table", bson.encode, { ["x\0y"] = 1 })
	encode_error("binary marker without subtype", bson.encode_order, "b", "\0\5")
	encode_error("regex marker without zero", bson.encode_order, "r", "\0\11abc")
	encode_error("regex marker with one zero", bson.encode_order, "r", "\0\11abc\0")
	encode_error("regex pattern with zero", bson.encode_order, "r", bson.regex("a\0b", "i"))
	encode_error("regex bad utf8", bson.encode_order, "r", bson.regex("\xff", "i"))
	encode_error("jscode marker framing", bson.encode_order, "j", "\0\13" .. string.pack("<i4", 9) .. "abc\0")
	encode_error("int64 marker size", bson.encode_order, "l", "\0\18abc")
	encode_error("timestamp marker size", bson.encode_order, "t", "\0\17abc")
	encode_error("not a document userdata", bson.encode_order, "u", io.stdout)
	encode_error("__len negative", bson.encode_order, "a", setmetatable({}, { __len = function() return -1 end }))
	encode_error("__pairs raises", bson.encode, setmetatable({}, { __pairs = function() error("no pairs here", 0) end }))
	encode_error("objectid bad hex", bson.objectid, "0123456789abcdef0123456z")
	encode_error("type binary without subtype", bson.type, "\0\5")
	encode_error("type regex without zero", bson.type, "\0\11")
	local d = bson.encode_order("i", 1)
	d:makeindex()
	encode_error("replace int32 out of range", function() d.i = 1 << 40 end)
	encode_error("tostring of a table", getmetatable(d).__tostring, { 1, 2, 3 })
	encode_error("length of a table", getmetatable(d).__len, { 1, 2, 3 })
	encode_error("replace on a table", getmetatable(d).__newindex, {}, "i", 1)

	-- Failing encodes give their buffers back: a thousand of 128 KiB each leave no trace.
	local text = string.rep("x", 128 * 1024)
	collectgarbage()
	local before = memory.current()
	for _ = 1, 1000 do
		pcall(bson.encode_order, "text", text, "bad", print)
		pcall(bson.encode, { text = text, deep = deep })
	end
	collectgarbage()
	out("memory after failing encodes", memory.current() - before < 256 * 1024)

	local fuzzer = skynet.newservice("fuzz")
	out("fuzz", skynet.call(fuzzer, "lua", "run", 20260, 10000))
	out("fuzz alive", skynet.call(fuzzer, "lua", "ping"))
	out("still serving", skynet.call(skynet.newservice("fuzz"), "lua", "ping"))
	print("done")
end)
