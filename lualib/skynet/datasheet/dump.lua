-- skynet.datasheet.dump: a data sheet as a string, for sheets compiled ahead of their use
-- (builder.compile) and handed to builder.new / builder.update as a string.
--
--   dump.dump(t) -> string        t (tables, strings, numbers, booleans) as a string
--   dump.undump(s) -> t           the table back
--   dump.diff(last, current)      the string the next version is built from: current (a sheet's
--                                 versions are whole tables in Skyhost, never differences)

local skynet = require "skynet"

local dump = {}

function dump.dump(t)
	assert(type(t) == "table", "a data sheet is a table")
	return skynet.packstring(t)
end

function dump.undump(s)
	local t = skynet.unpack(s)
	assert(type(t) == "table", "not a dumped data sheet")
	return t
end

function dump.diff(_, current)
	return current
end

return dump
