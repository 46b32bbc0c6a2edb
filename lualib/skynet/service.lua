-- skynet.service: unique services defined by a Lua function instead of a file.
--
--   service.new(name, mainfunc, ...) -> handle   start `name` once per node, running mainfunc
--                                                 (which may call skynet.start) in a fresh
--                                                 service_cell; later calls return the same handle
--   service.query(name) -> handle                 wait for `name` to exist
--   service.close(name) -> boolean                forget and kill it
-- mainfunc travels as string.dump, so it must have no upvalue but _ENV. Behaviour as Skynet 1.8.
local skynet = require "skynet"

local service = {}
local known = {}	-- name -> handle, in this service
local provider_handle

local function provider()
	if not provider_handle then
		provider_handle = skynet.uniqueservice "service_provider"
	end
	return provider_handle
end

local function check_portable(mainfunc)
	assert(type(mainfunc) == "function", "service.new needs a function")
	local info = debug.getinfo(mainfunc, "u")
	local first = debug.getupvalue(mainfunc, 1)
	assert(info.nups == 1 and first == "_ENV",
		"the main function of a service.new must use no upvalue but _ENV")
end

function service.new(name, mainfunc, ...)
	local p = provider()
	local handle, booting = skynet.call(p, "lua", "test", name)
	if not handle then
		if booting then
			handle = skynet.call(p, "lua", "query", name)
		else
			check_portable(mainfunc)
			handle = skynet.call(p, "lua", "launch", name, string.dump(mainfunc), ...)
		end
	end
	known[name] = handle
	return handle
end

function service.close(name)
	local handle = skynet.call(provider(), "lua", "close", name)
	if not handle then
		return false
	end
	known[name] = nil
	skynet.kill(handle)
	return true
end

function service.query(name)
	local handle = known[name]
	if not handle then
		handle = skynet.call(provider(), "lua", "query", name)
		known[name] = handle
	end
	return handle
end

return service
