-- skynet.sharedata: read-only tables shared by the whole node, updated while services read them
-- (Skynet v1.8.0's API).
--
--   sharedata.new(name, value, ...)     value: a table, Lua source ("@path" for a file) run with
--                                       `...` (its returned table, or the globals it sets), or nil
--   sharedata.update(name, value, ...)  replace it (or create it); every service that queried it
--                                       reads the new table once the update reaches it
--   sharedata.delete(name)
--   sharedata.query(name) -> t          the shared table (the same one on every query)
--   sharedata.deepcopy(name, keys...)   a private copy of the table, or of t[k1][k2]...
--   sharedata.flush()                   (nothing to do: updates are applied as they arrive)
--
-- The table lives once in the node's memory (skyhost.frozentable, kept by the sharedatad service)
-- and each service reads it through views (skynet.frozen); an update is a message to each reader,
-- handled between two of its messages, so a handler that does not yield reads one version
-- throughout. Reading a subtable whose keys no longer lead to a table after an update raises.

local skynet = require "skynet"
local frozen = require "skynet.frozen"
local corelib = require "skynet.sharedata.corelib"

local service

skynet.init(function()
	service = skynet.uniqueservice "sharedatad"
end)

local sharedata = {}
local cache = setmetatable({}, { __mode = "kv" })

-- Follows the updates of `name` into `view` until the table is deleted.
local function monitor(name, view, root)
	while true do
		local newroot = skynet.call(service, "lua", "monitor", name, root)
		if newroot == nil then
			break
		end
		frozen.rebind(view, newroot)
		skynet.send(service, "lua", "confirm", newroot)
		root = newroot
	end
	if cache[name] == view then
		cache[name] = nil
	end
end

function sharedata.query(name)
	local view = cache[name]
	if view then
		return view
	end
	local root = skynet.call(service, "lua", "query", name)
	view = cache[name]
	if view == nil then	-- (not queried meanwhile by another coroutine)
		view = frozen.view(root)
		cache[name] = view
		skynet.fork(monitor, name, view, root)
	end
	skynet.send(service, "lua", "confirm", root)
	return view
end

function sharedata.new(name, v, ...)
	skynet.call(service, "lua", "new", name, v, ...)
end

function sharedata.update(name, v, ...)
	skynet.call(service, "lua", "update", name, v, ...)
end

function sharedata.delete(name)
	skynet.call(service, "lua", "delete", name)
end

function sharedata.flush()
end

function sharedata.deepcopy(name, ...)
	local view = cache[name]
	if view then
		return corelib.copy(frozen.root(view), ...)
	end
	local root = skynet.call(service, "lua", "query", name)
	local ok, result = pcall(corelib.copy, root, ...)
	skynet.send(service, "lua", "confirm", root)
	assert(ok, result)
	return result
end

return sharedata
