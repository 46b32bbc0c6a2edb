-- skynet.api.launch: starting services -- newservice, uniqueservice, queryservice. Run once by
-- lualib/skynet.lua, as chunk(skynet, internal), the first time a service reads one of these
-- names.

local skynet, internal = ...
assert(type(internal) == "table", "skynet.api.launch is loaded by skynet.lua, not by require")

function skynet.newservice(name, ...)
	return skynet.call(".launcher", "lua", "LAUNCH", "snlua", name, ...)
end

function skynet.uniqueservice(name, ...)
	if name == true then
		return assert(skynet.call(".service", "lua", "GLAUNCH", ...))
	end
	return assert(skynet.call(".service", "lua", "LAUNCH", name, ...))
end

function skynet.queryservice(name, ...)
	if name == true then
		return assert(skynet.call(".service", "lua", "GQUERY", ...))
	end
	return assert(skynet.call(".service", "lua", "QUERY", name, ...))
end

return {}
