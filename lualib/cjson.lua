-- cjson.lua: Debian's lua-cjson (the C module cjson.so, apt package lua-cjson), with JSON
-- integers decoded as Lua integers.
--
-- Why this file exists: lua-cjson 2.1.0, the version Debian ships, predates Lua 5.3's integer
-- subtype and decodes every JSON number as a float, so `{"max_level": 100}` gives 100.0
-- (math.type "float", tostring "100.0"). The game's config/game_values.json expects
-- integers. This module sits on the Lua path ahead of the C module, loads that C module itself
-- (through package.cpath, which keeps the system's entries), and returns it with `decode` (and
-- `new():decode`) fixed: after cjson has parsed and validated the text, every float that holds an
-- exact integer value within +-2^53 becomes a Lua integer. Everything else -- encode, null,
-- empty_array, the encode_*/decode_* settings, error messages -- is cjson's own.
--
-- Limits, both inherited from cjson's use of doubles: JSON has a single number type, so `2.0`
-- in a file also comes back as the integer 2 (same value; only math.type tells); integers beyond
-- 2^53 are not exact. `require "cjson.safe"` gets the same fix (lualib/cjson/safe.lua).

local path, why = package.searchpath("cjson", package.cpath)
if not path then
	error("cjson: the C module cjson.so is not installed (Debian: apt install lua-cjson)\n" .. why, 2)
end

local function open(symbol)
	local luaopen, err = package.loadlib(path, symbol)
	if not luaopen then
		error("cjson: cannot load " .. path .. ": " .. tostring(err), 2)
	end
	return luaopen()
end

local tointeger = math.tointeger
local mtype = math.type
local LIMIT = 2 ^ 53

-- Turns integral floats into integers, in place, through nested tables (no recursion: cjson
-- allows 1000 levels).
local function integers(value)
	if mtype(value) == "float" then
		if value > -LIMIT and value < LIMIT then
			return tointeger(value) or value
		end
		return value
	end
	if type(value) ~= "table" then
		return value
	end
	local stack, n = { value }, 1
	while n > 0 do
		local t = stack[n]
		stack[n] = nil
		n = n - 1
		for k, v in next, t do
			if mtype(v) == "float" then
				if v > -LIMIT and v < LIMIT then
					local i = tointeger(v)
					if i then
						t[k] = i
					end
				end
			elseif type(v) == "table" then
				n = n + 1
				stack[n] = v
			end
		end
	end
	return value
end

-- The C module `c` with an integer-aware decode; `safe` when decode returns nil, err on bad text.
local function wrap(c)
	local decode = c.decode
	local new = c.new
	local module = {}
	for k, v in pairs(c) do
		module[k] = v
	end
	module.decode = function(text)
		local value, err = decode(text)	-- err: cjson.safe's reason
		if value == nil then
			return nil, err
		end
		return integers(value)
	end
	module.new = function()
		return wrap(new())
	end
	return module
end

local module = wrap(open("luaopen_cjson"))
module._wrap = wrap
module._open = open
module._integers = integers
return module
