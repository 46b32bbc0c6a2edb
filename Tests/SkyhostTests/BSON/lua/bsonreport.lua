-- How BSONTests' services report: "name\tvalue" lines, which the test reads back by name. The
-- services also run on Skynet v1.8.0, whose output gave the test's expected values.
--   out(name, value)    prints the line
--   err(name, f, ...)   prints the error f raises ("no error: <results>" when it does not)
--   hex(bytes)          lower-case hex of a string (or of a document object's bytes)
--   show(value)         one line for a value bson.decode gave, the same on every run: table keys
--                       sorted, numbers with their subtype, bson's markers by bson.type's name
local bson = require "bson"

local report = {}

function report.hex(bytes)
	if type(bytes) == "userdata" then
		bytes = tostring(bytes)
	end
	return (bytes:gsub(".", function(c)
		return string.format("%02x", c:byte())
	end))
end
local hex = report.hex

function report.out(name, value)
	print(name .. "\t" .. tostring(value))
end

local function show(v)
	local kind, a, b = bson.type(v)
	if kind == "number" then
		return math.type(v) == "integer" and string.format("%d", v) or string.format("%.17gf", v)
	elseif kind == "string" then
		return string.format("%q", v):gsub("\n", "n")
	elseif kind == "table" then
		local keys = {}
		for k in pairs(v) do
			keys[#keys + 1] = k
		end
		table.sort(keys, function(x, y)
			if type(x) ~= type(y) then
				return type(x) == "number"
			end
			return x < y
		end)
		for i, k in ipairs(keys) do
			keys[i] = (type(k) == "number" and string.format("[%d]", k) or k) .. "=" .. show(v[k])
		end
		return "{" .. table.concat(keys, ",") .. "}"
	elseif kind == "binary" then
		return string.format("binary(%d,%s)", b, hex(a))
	elseif kind == "objectid" or kind == "int64" or kind == "date" then
		return kind .. "(" .. a .. ")"
	elseif kind == "timestamp" or kind == "regex" then
		return kind .. "(" .. a .. "," .. b .. ")"
	elseif kind == "unsupported" then
		return "unsupported(" .. hex(v) .. ")"
	else
		return kind .. (a == nil and "" or "(" .. tostring(a) .. ")")
	end
end
report.show = show

local function results(ok, ...)
	local parts = table.pack(...)
	for i = 1, parts.n do
		local v = parts[i]
		parts[i] = type(v) == "userdata" and "doc " .. hex(v) or tostring(v)
	end
	return ok, table.concat(parts, " ", 1, parts.n)
end

function report.err(name, f, ...)
	local ok, e = results(pcall(f, ...))
	report.out(name, ok and ("no error: " .. e) or e)
end

return report
