-- How CryptTests' services report: "name\tvalue" lines, which the test reads back by name.
--   out(name, value)    prints the line
--   err(name, f, ...)   prints the error f raises ("no error: <result>" when it does not)
local report = {}

function report.out(name, value)
	print(name .. "\t" .. tostring(value))
end

function report.err(name, f, ...)
	local ok, e = pcall(f, ...)
	report.out(name, ok and ("no error: " .. tostring(e)) or tostring(e))
end

return report
