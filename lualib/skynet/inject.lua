-- skynet.inject: runs operator code inside a live service (the debug protocol's RUN, i.e. the
-- console's `inject ADDR FILE args...`).
--
--   inject(skynet, source, filename, args, f1, f2, ...) -> ok, output_lines
--
-- The injected chunk sees, besides the service's globals (its own global writes stay in a
-- sandbox table):
--   _U      tables found among the upvalues of f1, f2, ... (skynet.dispatch_message and
--           skynet.register_protocol), following function upvalues recursively: _U.proto is
--           skynet.lua's protocol table, and so on. Keyed by upvalue name (a later one wins).
--   _P      for each registered protocol with a dispatch function, the tables among that
--           function's upvalues (same walk): _P.lua.handles is the `handles` table that a
--           `skynet.dispatch("lua", function ... handles[cmd] ... end)` closure captures.
--   print   collects a line (arguments joined by tabs) into the output sent back to the caller;
--           _G.print still writes to the node's standard output.
--   ...     the extra words given after the file name.
-- A chunk that doesn't compile runs nothing: (false, { compile error }). A chunk that raises
-- keeps what it changed before the error: (false, { lines printed so far..., error text }).
--
-- The walk: one `seen` set for everything, so a function reached twice is walked once (the
-- roots and the dispatch functions themselves are not marked, only functions found below them);
-- the _P walk comes after the _U walk and shares its `seen`. Same result as Skynet 1.8.
--
-- Speed. Walking skynet.lua's closures is the largest fixed cost of an inject (well over a
-- hundred upvalue slots over some twenty functions, plus the `seen` set). The shape of the walk
-- only changes when a function-valued upvalue changes, so the first walk records every slot it
-- reads (the "plan"), and later injects re-read the same slots in the same order, storing the
-- tables exactly as the walk would. As soon as a slot that held a function, or now holds one,
-- differs, or a root or the protocol table changed, a full walk runs (and records a new plan).
-- The result is always what a full walk would give at that moment.

local getupvalue = debug.getupvalue
local type = type
local tostring = tostring
local select = select
local pairs = pairs
local concat = table.concat
local unpack = table.unpack
local setmetatable = setmetatable
local load = load
local pcall = pcall

-- Weak values: the plan must not keep replaced closures or tables alive.
local function weak()
	return setmetatable({}, { __mode = "v" })
end

-- The plan of the last full walk (nil before the first inject). Slot k is upvalue idx[k] of
-- fn[k], which held val[k] (is_table[k] tells whether that was a table). Slots 1..u_last feed _U;
-- then protocol j (named protocols[j]) owns slots from[j]..to[j].
local plan

local function new_plan(roots)
	local rec = {
		n = 0,
		fn = weak(), idx = {}, val = weak(), is_table = {},
		roots = weak(), nroots = #roots,
		u_last = 0,
		proto = nil,
		protocols = {}, from = {}, to = {},
		-- pairs(proto) as the walk saw it: key, class, class.name, class.dispatch
		pkey = weak(), pclass = weak(), pname = {}, pdispatch = weak(), pcount = 0,
	}
	for i = 1, #roots do
		rec.roots[i] = roots[i]
	end
	return rec
end

-- The walk itself, recording each slot it reads.
local function walk(rec, into, fn, seen)
	local index = 1
	while true do
		local name, value = getupvalue(fn, index)
		if name == nil then
			return
		end
		local k = rec.n + 1
		rec.n = k
		local kind = type(value)
		rec.fn[k], rec.idx[k], rec.val[k], rec.is_table[k] = fn, index, value, kind == "table"
		if kind == "table" then
			into[name] = value
		elseif kind == "function" and not seen[value] then
			seen[value] = true
			walk(rec, into, value, seen)
		end
		index = index + 1
	end
end

local function full_walk(roots)
	local rec = new_plan(roots)
	local seen = {}
	local u, p = {}, {}
	for i = 1, #roots do
		walk(rec, u, roots[i], seen)
	end
	rec.u_last = rec.n
	local protocols = u.proto
	rec.proto = protocols
	if type(protocols) == "table" then
		-- proto holds each class twice (by name and by id): the first occurrence of a name counts.
		local count = 0
		for key, class in pairs(protocols) do
			local name, dispatch
			if type(class) == "table" then
				name, dispatch = class.name, class.dispatch
			end
			count = count + 1
			rec.pkey[count], rec.pclass[count], rec.pname[count], rec.pdispatch[count] =
				key, class, name, dispatch
			if name and type(dispatch) == "function" and p[name] == nil then
				local tables = {}
				p[name] = tables
				local j = #rec.protocols + 1
				rec.protocols[j], rec.from[j] = name, rec.n + 1
				walk(rec, tables, dispatch, seen)
				rec.to[j] = rec.n
			end
		end
		rec.pcount = count
	end
	plan = rec
	return u, p
end

-- Re-reads slots first..last of the plan into `into`; false when the walk's shape has changed.
local function replay_slots(rec, first, last, into)
	local fn, idx, val, is_table = rec.fn, rec.idx, rec.val, rec.is_table
	for k = first, last do
		local f = fn[k]
		if f == nil then
			return false
		end
		local name, value = getupvalue(f, idx[k])
		local old = val[k]
		if value ~= old then
			local kind = type(value)
			if kind == "function" or type(old) == "function" then
				return false
			end
			is_table[k] = kind == "table"
			val[k] = value
		end
		-- (value ~= nil: a weakly held table that was collected leaves val[k] nil, flag stale)
		if value ~= nil and is_table[k] then
			into[name] = value
		end
	end
	return true
end

-- _U and _P from the plan, or nil when the plan no longer matches the closures.
local function replay(rec, roots)
	if #roots ~= rec.nroots then
		return nil
	end
	local recorded = rec.roots
	for i = 1, #roots do
		if recorded[i] ~= roots[i] then
			return nil
		end
	end
	local u = {}
	if not replay_slots(rec, 1, rec.u_last, u) then
		return nil
	end
	local protocols = u.proto
	if protocols ~= rec.proto then
		return nil
	end
	-- The protocol table must iterate exactly as when the plan was made.
	if type(protocols) == "table" then
		local pkey, pclass, pname, pdispatch = rec.pkey, rec.pclass, rec.pname, rec.pdispatch
		local count = 0
		for key, class in pairs(protocols) do
			count = count + 1
			if pkey[count] ~= key or pclass[count] ~= class then
				return nil
			end
			local name, dispatch
			if type(class) == "table" then
				name, dispatch = class.name, class.dispatch
			end
			if pname[count] ~= name or pdispatch[count] ~= dispatch then
				return nil
			end
		end
		if count ~= rec.pcount then
			return nil
		end
	end
	local p = {}
	local names, from, to = rec.protocols, rec.from, rec.to
	for j = 1, #names do
		local tables = {}
		p[names[j]] = tables
		if not replay_slots(rec, from[j], to[j], tables) then
			return nil
		end
	end
	return u, p
end

-- _U and _P for the given root functions.
local function upvalue_tables(...)
	local roots = {}
	for i = 1, select("#", ...) do
		local fn = select(i, ...)
		if type(fn) == "function" then
			roots[#roots + 1] = fn
		end
	end
	if plan then
		local u, p = replay(plan, roots)
		if u then
			return u, p
		end
	end
	return full_walk(roots)
end

return function(skynet, source, filename, args, ...)
	local chunkname = filename and ("@" .. filename) or "=(load)"
	local output = {}

	local function print(...)
		local n = select("#", ...)
		local line = {}
		for i = 1, n do
			line[i] = tostring((select(i, ...)))
		end
		output[#output + 1] = concat(line, "\t", 1, n)
	end

	local u, p = upvalue_tables(...)
	local env = setmetatable({ print = print, _U = u, _P = p }, { __index = _ENV })
	local chunk, err = load(source, chunkname, "bt", env)
	if not chunk then
		return false, { err }
	end
	args = args or { n = 0 }
	local ok, failure = pcall(chunk, unpack(args, 1, args.n or #args))
	if not ok then
		output[#output + 1] = tostring(failure)
		return false, output
	end
	return true, output
end
