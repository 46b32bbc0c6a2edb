-- skynet.api.naming: addresses and names -- address, localname, register, name, harbor. Run once
-- by lualib/skynet.lua, as chunk(skynet, internal), the first time a service reads one of these
-- names.
--
-- A ".name" is local to the node; any other name is global and goes through .cslave (cdummy in
-- a single node), as Skynet's skynet.harbor.globalname does. The name is also bound here and now,
-- so a send to it right after this returns, from any service, finds it (bootstrap names
-- DATACENTER and then launches the start service at once). Messages sent to a global name before
-- any service has it are held by the node until one takes it, as Skynet's harbor holds them.

local skynet, internal = ...
assert(type(internal) == "table", "skynet.api.naming is loaded by skynet.lua, not by require")

local c = require "skynet.core"

function skynet.address(addr)
	if type(addr) == "number" then
		return string.format(":%08x", addr)
	end
	return tostring(addr)
end

function skynet.localname(name)
	return c.addresscommand("QUERY", name)
end

local GLOBALNAME_LENGTH <const> = 16

local function global_name(name, handle)
	assert(#name < GLOBALNAME_LENGTH, "global name is too long")
	assert(tonumber(name) == nil, "global name can't be a number")
	handle = handle or c.self()
	c.command("NAME", name .. " " .. skynet.address(handle))
	skynet.send(".cslave", "lua", "REGISTER", name, handle)
end

function skynet.register(name)
	local first = name:sub(1, 1)
	assert(first ~= ":", "can't register a name starting with ':'")
	if first == "." then
		c.command("REG", name)
	else
		global_name(name)
	end
end

function skynet.name(name, handle)
	local first = name:sub(1, 1)
	assert(first ~= ":", "can't register a name starting with ':'")
	if first == "." then
		c.command("NAME", name .. " " .. skynet.address(handle))
	else
		global_name(name, handle)
	end
end

-- The harbor id of an address and whether it is remote: (addr >> 24, false) in a single node.
function skynet.harbor(addr)
	return (addr >> 24) & 0xff, false
end

return {}
