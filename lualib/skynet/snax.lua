-- skynet.snax: Skynet's snax services, the client side (service/snaxd.lua runs them).
--
-- A snax service is a file found through the config key `snax` that defines `accept.NAME`
-- (messages without an answer), `response.NAME` (requests) and `init` / `exit` / `hotfix`
-- (lualib/snax/interface.lua). Its clients hold an object with the service's handle:
--
--   local obj = snax.newservice(name, ...)        a new service; init(...) runs before it returns
--   snax.uniqueservice(name, ...) / snax.globalservice(name, ...)   one per node (through
--                                                 .service) / per cluster (same on one node)
--   snax.queryservice(name) / snax.queryglobal(name)   wait for the unique one
--   snax.bind(handle, name), snax.self()          an object for a running service
--   obj.post.NAME(...)                            send (accept)
--   obj.req.NAME(...)                             call (response), its results
--   snax.kill(obj, ...) / snax.exit(...)          exit(...) runs, then the service exits
--   snax.hotfix(obj, source, ...)                 patch its methods (lualib/snax/hotfix.lua):
--                                                 what the patch's hotfix returns, or raises
--   snax.profile_info(obj)                        { [method] = { count, time } }
--   snax.printf(fmt, ...)                         skynet.error(string.format(fmt, ...))
--   snax.interface(name)                          { name, accept = {NAME = id}, response, system }
--
-- Messages use the protocol "snax" (id 11) with skynet.pack: the method's id, then its arguments.
-- With the config key snax_interface_g, the service files are read, for their interface, with
-- that module as their environment (otherwise with one whose `require` does nothing).

local skynet = require "skynet"
local interface = require "snax.interface"

local snax = {}

local classes = {}	-- service name -> its interface

local stand_in = skynet.getenv "snax_interface_g"
stand_in = stand_in and require(stand_in) or { require = function() end }

skynet.register_protocol {
	name = "snax",
	id = skynet.PTYPE_SNAX,
	pack = skynet.pack,
	unpack = skynet.unpack,
}

function snax.interface(name)
	local class = classes[name]
	if class then
		return class
	end
	class = { name = name, accept = {}, response = {}, system = {} }
	for _, desc in ipairs(interface(name, stand_in)) do
		local id, group, method = desc[1], desc[2], desc[3]
		class[group][method] = id
	end
	classes[name] = class
	return class
end

local object_meta = {
	__tostring = function(obj)
		return string.format("[%s:%x]", obj.type, obj.handle)
	end,
}

-- obj.post / obj.req: a function per method of the group, made on first use (a post returns
-- nothing, a request what the method returns).
local function methods(class, handle, group, kind)
	return setmetatable({}, {
		__index = function(_, method)
			local id = class[group][method]
			if not id then
				error(string.format("%s %s:%s no exist", kind, class.name, method))
			end
			if group == "accept" then
				return function(...)
					skynet.send(handle, "snax", id, ...)
				end
			end
			return function(...)
				return skynet.call(handle, "snax", id, ...)
			end
		end,
	})
end

local objects = setmetatable({}, { __mode = "kv" })	-- handle -> its object

function snax.bind(handle, name)
	local obj = objects[handle]
	if obj then
		assert(obj.type == name)
		return obj
	end
	local class = snax.interface(name)
	obj = setmetatable({
		post = methods(class, handle, "accept", "post"),
		req = methods(class, handle, "response", "request"),
		type = name,
		handle = handle,
	}, object_meta)
	objects[handle] = obj
	return obj
end

function snax.rawnewservice(name, ...)
	local class = snax.interface(name)
	local handle = skynet.newservice("snaxd", name)
	assert(objects[handle] == nil)
	if class.system.init then
		skynet.call(handle, "snax", class.system.init, ...)
	end
	return handle
end

function snax.newservice(name, ...)
	return snax.bind(snax.rawnewservice(name, ...), name)
end

function snax.uniqueservice(name, ...)
	return snax.bind(assert(skynet.call(".service", "lua", "LAUNCH", "snaxd", name, ...)), name)
end

function snax.globalservice(name, ...)
	return snax.bind(assert(skynet.call(".service", "lua", "GLAUNCH", "snaxd", name, ...)), name)
end

function snax.queryservice(name)
	return snax.bind(assert(skynet.call(".service", "lua", "QUERY", "snaxd", name)), name)
end

function snax.queryglobal(name)
	return snax.bind(assert(skynet.call(".service", "lua", "GQUERY", "snaxd", name)), name)
end

function snax.kill(obj, ...)
	skynet.call(obj.handle, "snax", snax.interface(obj.type).system.exit, ...)
end

function snax.self()
	return snax.bind(skynet.self(), SERVICE_NAME)
end

function snax.exit(...)
	snax.kill(snax.self(), ...)
end

local function raise_unless(ok, ...)
	if not ok then
		error(...)
	end
	return ...
end

function snax.hotfix(obj, source, ...)
	return raise_unless(skynet.call(obj.handle, "snax", snax.interface(obj.type).system.hotfix, source, ...))
end

function snax.printf(fmt, ...)
	skynet.error(string.format(fmt, ...))
end

function snax.profile_info(obj)
	return skynet.call(obj.handle, "snax", snax.interface(obj.type).system.profile)
end

return snax
