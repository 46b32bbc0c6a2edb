-- skynet.inject: runs operator code inside a live service (the debug protocol's RUN, i.e. the
-- console's `inject ADDR FILE args...`).
--
--   inject(skynet, source, filename, args, known, f1, f2, ...) -> ok, output_lines
--
-- The injected chunk sees, besides the service's globals (its own global writes stay in a
-- sandbox table):
--   _U      tables found among the upvalues of f1, f2, ... (skynet.dispatch_message and
--           skynet.register_protocol), following function upvalues recursively: _U.proto is
--           skynet.lua's protocol table, and so on. Keyed by upvalue name (a later one wins).
--           Then the tables of `known` (name -> value; skynet.lua's internals table, whose state
--           tables are named after skynet.lua's locals) for the names the walk did not find:
--           the API's files (lualib/skynet/api/) load on first use, so some of the state tables
--           (sleep_session, unresponse, ...) are not upvalues of skynet.lua's own functions;
--           this way they are in _U all the same, under the names Skynet gives them.
--   _P      for each registered protocol with a dispatch function, the tables among that
--           function's upvalues (same walk): _P.lua.handles is the `handles` table that a
--           `skynet.dispatch("lua", function ... handles[cmd] ... end)` closure captures.
--   print   collects a line (arguments joined by tabs) into the output sent back to the caller;
--           _G.print still writes to the node's standard output.
--   ...     the extra words given after the file name.
-- A chunk that doesn't compile runs nothing: (false, { compile error }). A chunk that raises
-- changes nothing (unlike Skynet, where it keeps what it changed before the error): every change
-- it made through _U, _P, its globals, `require`d modules and the `debug` library is undone (see
-- lualib/skynet/journal.lua), and the output is (false, { lines printed so far..., error text,
-- what was undone }). A chunk that returns is a patch: its changes go on the service's patch
-- stack (lualib/skynet/patch.lua, done by the caller) so that it can be rolled back.
--
-- The walk: one `seen` set for everything, so a function reached twice is walked once (the
-- roots and the dispatch functions themselves are not marked, only functions found below them);
-- the _P walk comes after the _U walk and shares its `seen`. Same result as Skynet 1.8.
--
-- Speed. Walking skynet.lua's closures is the largest fixed cost of an inject (some sixty upvalue
-- slots over some twenty functions, the `seen` set, and the _U table growing key by key). The
-- shape of the walk only changes when a function-valued upvalue changes, so the first walk
-- records every slot it reads (the "plan"), and later injects re-read the same slots in the same
-- order. Each slot that held a table has a fixed place in its output table (_U, or _P[name]),
-- and each output table is made by a constructor generated for its names, so it is allocated at
-- its final size instead of growing. As soon as a slot that held a function (or now holds one)
-- differs, a slot changes between table and not table, a root, the protocol table or the
-- `known` table changed, a full walk runs (and records a new plan). The result is always what a
-- full walk would give at that moment. Nothing in an inject grows with the service's heap (no
-- collection is forced: see debug.lua); Benchmarks/README.md has the figures.

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
local format = string.format
local ipairs = ipairs
local journal_lib = require "skynet.journal"

-- Weak values: the plan must not keep replaced closures or tables alive.
local function weak()
	return setmetatable({}, { __mode = "v" })
end

-- Constructors by the names they fill: constructor(names)(values) is the table
-- { [names[1]] = values[1], ... }, made at its final size. Kept across plans (a service whose
-- walk changes shape often comes back to the same names); dropped when too many.
local constructors, constructor_count = {}, 0

local function constructor(names)
	local key = concat(names, "\0")
	local make = constructors[key]
	if make then
		return make
	end
	local fields = {}
	for i = 1, #names do
		fields[i] = format("[%q] = v[%d]", names[i], i)
	end
	make = load("local v = ... return { " .. concat(fields, ", ") .. " }", "=(inject)", "t", {})
	if constructor_count >= 64 then
		constructors, constructor_count = {}, 0
	end
	constructors[key], constructor_count = make, constructor_count + 1
	return make
end

-- The plan of the last full walk (nil before the first inject).
--   Slot k is upvalue idx[k] of fn[k], which held val[k]; table[k] tells whether that was a
--   table, and then its value goes to place pos[k] of output table out[k] (1 is _U, 1 + j is
--   _P[protocols[j]]; a later slot of the same name shares the place, so the later one wins).
--   names[o] are the names of output o by place, make[o] its constructor, values[o] the values
--   being gathered.
--   pairs(proto) and pairs(known) as the walk saw them: pkey, pclass, pname, pdispatch; kkey,
--   kval, ktable (whether it was a table) and kpos (its place in _U, 0 if the walk had the name).
local plan

local function new_plan(roots, known)
	local rec = {
		n = 0,
		fn = weak(), idx = {}, val = weak(), table = {}, out = {}, pos = {},
		roots = weak(), nroots = #roots,
		proto = nil,
		protocols = {},
		names = {}, make = {}, values = {},
		pkey = weak(), pclass = weak(), pname = {}, pdispatch = weak(), pcount = 0,
		known = known, kkey = {}, kval = weak(), ktable = {}, kpos = {}, kcount = 0,
	}
	for i = 1, #roots do
		rec.roots[i] = roots[i]
	end
	return rec
end

-- The walk itself into output table `o`, recording each slot it reads.
local function walk(rec, o, into, fn, seen)
	local index = 1
	while true do
		local name, value = getupvalue(fn, index)
		if name == nil then
			return
		end
		local k = rec.n + 1
		rec.n = k
		local kind = type(value)
		rec.fn[k], rec.idx[k], rec.val[k], rec.table[k], rec.out[k] = fn, index, value, kind == "table", o
		if kind == "table" then
			into[name] = value
		elseif kind == "function" and not seen[value] then
			seen[value] = true
			walk(rec, o, into, value, seen)
		end
		index = index + 1
	end
end

-- Gives the table slots of output `o` their places; returns the map name -> place.
local function place(rec, o)
	local names, places = {}, {}
	for k = 1, rec.n do
		if rec.out[k] == o and rec.table[k] then
			local name = getupvalue(rec.fn[k], rec.idx[k])
			local at = places[name]
			if not at then
				at = #names + 1
				names[at], places[name] = name, at
			end
			rec.pos[k] = at
		end
	end
	rec.names[o] = names
	return places
end

local function full_walk(roots, known)
	local rec = new_plan(roots, known)
	local seen = {}
	local u, p = {}, {}
	for i = 1, #roots do
		walk(rec, 1, u, roots[i], seen)
	end
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
				rec.protocols[j] = name
				walk(rec, 1 + j, tables, dispatch, seen)
			end
		end
		rec.pcount = count
	end
	-- Places in the output tables; the known tables whose names the walk did not find go last in _U.
	local u_places = place(rec, 1)
	rec.proto_place = u_places.proto
	for j = 1, #rec.protocols do
		place(rec, 1 + j)
	end
	if known then
		local u_names, count = rec.names[1], 0
		for name, value in pairs(known) do
			count = count + 1
			local is_table = type(value) == "table"
			rec.kkey[count], rec.kval[count], rec.ktable[count], rec.kpos[count] = name, value, is_table, 0
			if is_table and u[name] == nil then
				u[name] = value
				local at = #u_names + 1
				u_names[at], u_places[name] = name, at
				rec.kpos[count] = at
			end
		end
		rec.kcount = count
	end
	for o = 1, #rec.names do
		rec.make[o] = constructor(rec.names[o])
		rec.values[o] = weak()
	end
	plan = rec
	return u, p
end

-- _U and _P from the plan, or nil when the plan no longer matches the closures.
local function replay(rec, roots, known)
	if #roots ~= rec.nroots or known ~= rec.known then
		return nil
	end
	local recorded = rec.roots
	for i = 1, #roots do
		if recorded[i] ~= roots[i] then
			return nil
		end
	end
	-- Every slot, in the walk's order.
	local fn, idx, val, is_table, out, pos, values = rec.fn, rec.idx, rec.val, rec.table, rec.out, rec.pos, rec.values
	for k = 1, rec.n do
		local f = fn[k]
		if f == nil then	-- collected: nothing reaches it any more
			return nil
		end
		local _, value = getupvalue(f, idx[k])
		if value ~= val[k] then
			-- (an old value that was collected reads nil here; it was not a function that is
			-- still there, and a table slot is checked on its new value)
			local kind = type(value)
			if kind == "function" or type(val[k]) == "function" or is_table[k] ~= (kind == "table") then
				return nil
			end
			val[k] = value
		end
		if is_table[k] then
			values[out[k]][pos[k]] = value
		end
	end
	-- The protocol table must iterate exactly as when the plan was made.
	local u_values = values[1]
	local protocols = rec.proto_place and u_values[rec.proto_place]
	if protocols ~= rec.proto then
		return nil
	end
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
	-- So must the known table; a value that changes between two non-tables does not matter.
	if known then
		local kkey, kval, ktable, kpos = rec.kkey, rec.kval, rec.ktable, rec.kpos
		local count = 0
		for name, value in pairs(known) do
			count = count + 1
			if kkey[count] ~= name then
				return nil
			end
			if value ~= kval[count] then
				if ktable[count] ~= (type(value) == "table") then
					return nil
				end
				kval[count] = value
			end
			if kpos[count] > 0 then
				u_values[kpos[count]] = value
			end
		end
		if count ~= rec.kcount then
			return nil
		end
	end
	local make = rec.make
	local u, p = make[1](u_values), {}
	local protocol_names = rec.protocols
	for j = 1, #protocol_names do
		p[protocol_names[j]] = make[1 + j](values[1 + j])
	end
	return u, p
end

-- _U and _P for the given root functions and known tables.
local function upvalue_tables(known, ...)
	local roots = {}
	for i = 1, select("#", ...) do
		local fn = select(i, ...)
		if type(fn) == "function" then
			roots[#roots + 1] = fn
		end
	end
	if plan then
		local u, p = replay(plan, roots, known)
		if u then
			return u, p
		end
	end
	return full_walk(roots, known)
end

-- The line that ends the output of a hotfix that raised: that nothing was applied, and what was
-- undone for that. (What cannot be undone is in lualib/skynet/journal.lua; hotfixes defer it with
-- _DEFER.)
local function undone_line(entries, failures)
	local line = "nothing was applied"
	local count = #entries
	if count > 0 then
		line = format("nothing was applied: %d change%s undone (%s)", count, count == 1 and "" or "s",
			journal_lib.summary(entries))
	end
	if #failures > 0 then
		line = line .. "; compensations (_UNDO) that raised: " .. concat(failures, "; ")
	end
	return line
end

-- Runs a hotfix, all or nothing: ok, output lines, result. result.changes (when ok) are the
-- journal's entries for the patch stack; result.summary describes them.
local function apply(skynet, source, filename, args, known, ...)
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

	local u, p = upvalue_tables(known, ...)
	local journal = journal_lib.new(chunkname)
	local chunk, err = load(source, chunkname, "bt", journal:env(u, p, print))
	if not chunk then
		journal:close()
		return false, { err }, { summary = "no change" }
	end
	args = args or { n = 0 }
	local ok, failure = pcall(chunk, unpack(args, 1, args.n or #args))
	if not ok then
		output[#output + 1] = tostring(failure)
		local failures = journal:undo()
		output[#output + 1] = undone_line(journal.entries, failures)
		return false, output, { summary = "no change" }
	end
	local changes = journal:commit()
	local failures = journal:run_deferred()
	for _, f in ipairs(failures) do
		output[#output + 1] = "_DEFER failed: " .. f
	end
	return true, output, { changes = changes, summary = journal_lib.summary(changes) }
end

-- require "skynet.inject" is called as Skynet's: inject(skynet, source, filename, args, known,
-- f1, f2, ...) -> ok, output lines (and the result above); .tables gives _U and _P.
return setmetatable({
	apply = apply,
	tables = upvalue_tables,
}, {
	__call = function(_, ...) return apply(...) end,
})
