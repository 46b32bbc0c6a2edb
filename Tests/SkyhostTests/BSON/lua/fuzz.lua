-- A fuzzing service for malformed.lua: "run", seed, n -> decodes n random buffers and n
-- mutations of valid documents, re-encoding whatever decodes; answers the figures. Every
-- outcome must be a value or a Lua error with a message. "ping" -> "pong".
local skynet = require "skynet"
local bson = require "bson"

local function random_bytes(n)
	local t = {}
	for i = 1, n do
		t[i] = string.char(math.random(0, 255))
	end
	return table.concat(t)
end

-- Valid documents of every kind of element, to mutate.
local corpus = {
	bson.encode { s = "hello", i = 7, l = 1 << 40, f = 2.5, b = true, n = bson.null },
	bson.encode { a = { 1, 2, { 3, { x = "y" } } }, d = { e = { f = {} } } },
	bson.encode_order("bin", bson.binary "\0\1\2", "oid", bson.objectid(), "date", bson.date(1700000000),
		"ts", bson.timestamp(1, 2), "re", bson.regex("a+", "i"), "min", bson.minkey, "max", bson.maxkey),
	bson.encode_order("js", "\0\13" .. string.pack("<s4", "x=1\0"), "sym", "\0\14" .. string.pack("<s4", "s\0"),
		"ptr", "\0\12" .. string.pack("<s4", "c\0") .. string.rep("\1", 12)),
	bson.encode { long = string.rep("z", 300), list = { "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k" } },
}
for i, d in ipairs(corpus) do
	corpus[i] = tostring(d)
end

local function mutate(s)
	local kind = math.random(1, 6)
	local n = #s
	if kind == 1 then -- flip bits
		for _ = 1, math.random(1, 4) do
			local at = math.random(1, n)
			s = s:sub(1, at - 1) .. string.char(s:byte(at) ~ (1 << math.random(0, 7))) .. s:sub(at + 1)
		end
	elseif kind == 2 then -- cut, then fix the outer length so that the inside is what breaks
		s = s:sub(1, math.random(0, n - 1))
		if #s >= 4 then
			s = string.pack("<i4", #s) .. s:sub(5)
		end
	elseif kind == 3 then -- overwrite 4 bytes with a length-like number
		local at = math.random(1, math.max(1, n - 3))
		local v = ({ 0, -1, 1, 4, 5, 0x7fffffff, -0x80000000, math.random(0, 1000) })[math.random(1, 8)]
		s = s:sub(1, at - 1) .. string.pack("<i4", v) .. s:sub(at + 4)
	elseif kind == 4 then -- overwrite a byte with a type code
		local at = math.random(5, n)
		local code = ({ 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 127, 255 })[math.random(1, 22)]
		s = s:sub(1, at - 1) .. string.char(code) .. s:sub(at + 1)
	elseif kind == 5 then -- splice in random bytes, keeping the outer length right
		local at = math.random(5, n)
		s = s:sub(1, at - 1) .. random_bytes(math.random(1, 16)) .. s:sub(at)
		s = string.pack("<i4", #s) .. s:sub(5)
	else -- remove bytes, keeping the outer length right
		local at = math.random(5, n)
		s = s:sub(1, at - 1) .. s:sub(at + math.random(1, 8))
		if #s >= 4 then
			s = string.pack("<i4", #s) .. s:sub(5)
		end
	end
	return s
end

local figures

-- Decodes `s`; whatever decodes is encoded again (and indexed, and decoded again).
local function try(s)
	local ok, t = pcall(bson.decode, s)
	if not ok then
		if type(t) ~= "string" or t == "" then
			figures.unexpected = figures.unexpected + 1
		end
		figures.errors = figures.errors + 1
		return
	end
	figures.decoded = figures.decoded + 1
	local encoded, d = pcall(bson.encode, t)
	if encoded then
		figures.reencoded = figures.reencoded + 1
		if not pcall(d.makeindex, d) or not pcall(bson.decode, d) then
			figures.unexpected = figures.unexpected + 1
		end
	elseif type(d) ~= "string" then
		figures.unexpected = figures.unexpected + 1
	end
end

skynet.start(function()
	skynet.dispatch("lua", function(_, _, command, seed, n)
		if command == "ping" then
			skynet.ret(skynet.pack("pong"))
			return
		end
		math.randomseed(seed)
		figures = { errors = 0, decoded = 0, reencoded = 0, unexpected = 0 }
		for i = 1, n do
			-- Random bytes; half of them with a length prefix that matches, so that the
			-- elements are read.
			local s = random_bytes(math.random(0, 64))
			if i % 2 == 0 and #s >= 5 then
				s = string.pack("<i4", #s) .. s:sub(5, -2) .. "\0"
			end
			try(s)
			try(mutate(corpus[math.random(1, #corpus)]))
		end
		skynet.ret(skynet.pack(string.format("buffers=%d errors=%d decoded=%d reencoded=%d unexpected=%d",
			2 * n, figures.errors, figures.decoded, figures.reencoded, figures.unexpected)))
	end)
end)
