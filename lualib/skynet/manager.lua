-- skynet.manager: service management on top of skynet (returns the skynet module, extended).
--
--   skynet.launch(type, ...)   start a service directly (no launcher): handle or nil
--   skynet.kill(addr)          kill a service (tells the launcher when addr is a handle)
--   skynet.abort()             stop the node
--   skynet.register(name)      name this service (".local", or a global name)
--   skynet.name(name, addr)    name another service
--   skynet.forward_type(map, start)   start a service whose message types are renamed by map
--   skynet.filter(f, start)    start a service whose messages go through f first
--   skynet.monitor(service, query)    a monitor service for the node
-- register and name are part of the skynet table already (lualib/skynet/api/naming.lua, loaded on
-- first use: Skyhost lets services use them without requiring this module); they are the same
-- functions.
--
-- Differences from Skynet 1.8: forward_type cannot leave the message in the service's hands
-- (Skyhost's callback has no "forward" mode: the runtime frees every message once the callback
-- returns), so a message of a renamed type reaches its handler as a Lua string copy instead of
-- the raw pointer; skynet.tostring, skynet.unpack, skynet.redirect and skynet.trash accept it.

local skynet = require "skynet"
local c = require "skynet.core"

-- A handle from a number or ":hex" address; nil for a name.
local function handle_of(addr)
	if type(addr) == "number" then
		return addr
	end
	if type(addr) == "string" then
		local hex = addr:match "^:(%x+)$"
		if hex then
			return tonumber(hex, 16)
		end
	end
end

function skynet.launch(...)
	return c.addresscommand("LAUNCH", table.concat({ ... }, " "))
end

function skynet.kill(name)
	local handle = handle_of(name)
	if handle then
		skynet.send(".launcher", "lua", "REMOVE", handle, true)
		name = skynet.address(handle)
	end
	c.command("KILL", name)
end

function skynet.abort()
	c.command("ABORT")
end

local dispatch_message = skynet.dispatch_message

function skynet.forward_type(map, start_func)
	local tostr = c.tostring
	c.callback(function(prototype, msg, sz, session, source)
		local renamed = map[prototype]
		if renamed then
			-- a copy: the runtime frees the original when this callback returns
			dispatch_message(renamed, tostr(msg, sz), sz, session, source)
		else
			dispatch_message(prototype, msg, sz, session, source)
		end
	end)
	skynet.timeout(0, function()
		skynet.init_service(start_func)
	end)
end

function skynet.filter(f, start_func)
	c.callback(function(...)
		dispatch_message(f(...))
	end)
	skynet.timeout(0, function()
		skynet.init_service(start_func)
	end)
end

function skynet.monitor(service, query)
	local monitor
	if query then
		monitor = skynet.queryservice(true, service)
	else
		monitor = skynet.uniqueservice(true, service)
	end
	assert(monitor, "Monitor launch failed")
	c.command("MONITOR", skynet.address(monitor))
	return monitor
end

return skynet
