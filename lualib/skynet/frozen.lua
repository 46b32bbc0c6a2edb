-- skynet.frozen: read-only views of a table frozen in the node's shared memory
-- (skyhost.frozentable), the one representation under skynet.sharedata, skynet.sharetable and
-- skynet.datasheet.
--
--   local frozen = require "skynet.frozen"
--   local t = frozen.view(root)        a table that reads the frozen tree (a reference held until
--                                      the view and every subtable view taken from it are collected)
--   frozen.rebind(t, newroot)          t, and every subtable view taken from it, read newroot
--                                      from now on (each finds its place again by its keys)
--   frozen.is_view(v), frozen.root(t)  whether v is a view; the root t reads now
--   frozen.copy(t)                     a deep copy in plain Lua tables
--
-- A view is a real (empty) table with a metatable: indexing, `pairs`, `ipairs`, `#`,
-- `table.concat` and `table.unpack` read the frozen tree; `next`, `rawget` and `rawlen` see an
-- empty table; assigning raises. The same subtable read twice is the same view while the service
-- holds it, so views can be compared and used as keys. A subtable view whose keys no longer lead
-- to a table after a rebind raises when read ("The key [a.b] doesn't exist after update"), as Skynet's sharedata does.

local ft = require "skyhost.frozentable"

local index, ftnext, ftlen, ftnode = ft.index, ft.next, ft.len, ft.node
local type, error, setmetatable, tostring = type, error, setmetatable, tostring

local M = {}

-- view -> its state: { source, parent (state) or false, key, node, version, children }
--   children: { [key] = view }, weak: a subtable view lives while the service holds it (reading
--   a whole big table leaves no view behind), and is the same view while it lives
-- source (one per root view, shared by the views below it): { root, guard, version }
local STATE = setmetatable({}, { __mode = "k" })

local function path(state)
	local keys = {}
	while state.parent do
		table.insert(keys, 1, tostring(state.key))
		state = state.parent
	end
	return table.concat(keys, ".")
end

-- The node `state` reads, found again by its keys after a rebind.
local function current(state)
	local source = state.source
	if state.version ~= source.version then
		local node
		if state.parent then
			node = index(current(state.parent), state.key)
			if type(node) ~= "userdata" then
				error("The key [" .. path(state) .. "] doesn't exist after update", 3)
			end
		else
			node = ftnode(source.root)
		end
		state.node, state.version = node, source.version
	end
	return state.node
end

local meta = {}

local WEAK_VALUES = { __mode = "v" }

local function child(state, key)
	local children = state.children
	if children == nil then
		children = setmetatable({}, WEAK_VALUES)
		state.children = children
	end
	local c = children[key]
	if c == nil then
		c = setmetatable({}, meta)
		STATE[c] = { source = state.source, parent = state, key = key, version = -1 }
		children[key] = c
	end
	return c
end

-- What the C __index leaves to Lua: following a rebind, wrapping a subtable in a view.
local function index_slowly(view, key)
	local state = STATE[view]
	local v = index(current(state), key)
	if type(v) == "userdata" then
		return child(state, key)
	end
	return v
end

meta.__index = ft.indexer(STATE, index_slowly)

function meta.__newindex(view, key)
	error("Error newindex, the key [" .. path(STATE[view]) .. (STATE[view].parent and "." or "") .. tostring(key)
		.. "]", 2)
end

function meta.__len(view)
	return ftlen(current(STATE[view]))
end

local function view_next(view, key)
	local state = STATE[view]
	local k, v = ftnext(current(state), key)
	if type(v) == "userdata" then
		v = child(state, k)
	end
	return k, v
end

function meta.__pairs(view)
	return view_next, view, nil
end

function M.view(root)
	local view = setmetatable({}, meta)
	local source = { root = root, guard = ft.hold(root), version = 0 }
	STATE[view] = { source = source, parent = false, key = "", version = -1 }
	return view
end

function M.rebind(view, root)
	local source = STATE[view].source
	local old = source.guard
	source.guard = ft.hold(root)
	source.root = root
	ft.unhold(old)	-- (no view reads the old root any more: each finds its node again first)
	source.version = source.version + 1
end

function M.is_view(v)
	return STATE[v] ~= nil
end

function M.root(view)
	return STATE[view].source.root
end

function M.copy(view)
	return ft.copy(current(STATE[view]))
end

return M
