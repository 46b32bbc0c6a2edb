-- DATACENTER: a node-wide tree of values, reached through lualib/skynet/datacenter.lua.
--
--   QUERY k1 k2 ...        the value at that path (nil if any step is missing)
--   UPDATE k1 ... kn v     set the value at the path (creating tables on the way); replies the
--                          previous value. Setting a new non-nil value where there was none wakes
--                          the WAIT calls blocked on exactly that path.
--   WAIT k1 k2 ...         the value at the path, blocking until it is set if it is nil
-- Behaviour as Skynet 1.8's datacenterd: waiting on a path whose prefix later receives a value
-- (so the waited path can no longer be a leaf) makes those waiters fail.

local skynet = require "skynet"

local store = {}         -- the data tree
local waiters = {}       -- the same paths, ending in lists of response functions
local KIND = {}          -- key marking a node of `waiters`: "leaf" (a list) or "inner"

local function lookup(node, key, ...)
	if node == nil or key == nil then
		return node
	end
	return lookup(node[key], ...)
end

local function get(key, ...)
	local root = store[key]
	if root == nil then
		return nil
	end
	return lookup(root, ...)
end

-- Sets the value at a path; returns the previous value and the new one.
local function set(node, key, value, ...)
	if select("#", ...) == 0 then
		local old = node[key]
		node[key] = value
		return old, value
	end
	local child = node[key]
	if child == nil then
		child = {}
		node[key] = child
	end
	return set(child, value, ...)
end

-- Detaches and returns the list of waiters for exactly the path just set (its arguments are the
-- path followed by the value). Waiters deeper than the path are failed: they will never get a leaf.
local function detach(node, key, ...)
	if key == nil then
		return nil
	end
	local entry = node[key]
	if entry == nil then
		return nil
	end
	if entry[KIND] == "inner" then
		return detach(entry, ...)
	end
	node[key] = nil
	if select("#", ...) == 1 then	-- only the value is left: this is the path that was set
		return entry
	end
	for _, respond in ipairs(entry) do
		respond(false)
	end
	return nil
end

local function enqueue(node, key, next_key, ...)
	local entry = node[key]
	if next_key == nil then
		if entry == nil then
			entry = { [KIND] = "leaf" }
			node[key] = entry
		else
			assert(entry[KIND] == "leaf", "datacenter: wait on a path that is a prefix of another wait")
		end
		entry[#entry + 1] = skynet.response()
		return
	end
	if entry == nil then
		entry = { [KIND] = "inner" }
		node[key] = entry
	else
		assert(entry[KIND] == "inner", "datacenter: wait on a path that extends another wait")
	end
	return enqueue(entry, next_key, ...)
end

local command = {}

function command.QUERY(...)
	return get(...)
end

function command.UPDATE(...)
	local old, value = set(store, ...)
	if old ~= nil or value == nil then
		return old
	end
	local list = detach(waiters, ...)
	if list then
		for _, respond in ipairs(list) do
			respond(true, value)
		end
	end
end

skynet.start(function()
	skynet.dispatch("lua", function(_, _, name, ...)
		if name == "WAIT" then
			local value = get(...)
			if value ~= nil then
				skynet.ret(skynet.pack(value))
			else
				enqueue(waiters, ...)
			end
			return
		end
		local handler = assert(command[name], name)
		skynet.ret(skynet.pack(handler(...)))
	end)
end)
