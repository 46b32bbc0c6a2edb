-- skynet.journal: what makes an inject all-or-nothing.
--
--   local journal = require("skynet.journal").new(chunkname)
--   journal:wrap(value)      a table is seen through a proxy that records every field it assigns
--   journal:debug()          the `debug` library, recording setupvalue / upvaluejoin / setmetatable
--   journal:env(u, p, print) the hotfix's environment (see below)
--   journal:undo()           reverses every recorded change, last first; returns the errors of
--                            compensations that raised
--   journal:commit()         -> the changes (each with the value it left), for the patch stack
--   journal:run_deferred()   runs the _DEFER functions of a committed hotfix -> their errors
--   journal:close()          the environment becomes the plain one (commit and undo do it)
--   M.revert(changes)        a committed patch's rollback -> restored, kept, errors
--   M.summary(changes)       "2 fields, 1 upvalue join"
--
-- While a hotfix runs, everything it can reach through _U, _P, its globals (`_G`, the service's
-- global tables) and `require` is a proxy: reading a field gives the field (tables again as
-- proxies), assigning one records the field's old value first. `debug.setupvalue`,
-- `debug.upvaluejoin` and `debug.setmetatable` / `setmetatable` record what they replace. When the
-- hotfix raises, undo() puts every one of those back, in reverse order, and runs the hotfix's own
-- compensations (_UNDO). When it returns, commit() closes the journal: the environment becomes
-- Skynet's plain one (print, _U and _P over the service's globals) so the functions the hotfix
-- installed run at full speed, and proxies the hotfix left inside them are replaced by the tables
-- themselves. That reaches what the journal recorded (fields, upvalues, metatables it set) and
-- what hangs from it; a function handed to the service's own functions instead (skynet.dispatch,
-- skynet.fork) keeps the proxies it captured, which work but are slower: take the tables it
-- uses with _RAW(t).
--
-- What cannot be undone, and the hotfix is told so in its environment:
--   * effects outside the service's Lua state: messages sent (skynet.send / call / ret), files
--     written, sockets, timers started. Do them in _DEFER(fn): fn runs once the hotfix has
--     returned without error, and not at all when it fails.
--   * changes made by calling the service's own functions (a handler that updates state,
--     skynet.dispatch), and writes to tables those functions returned (they are not proxies; pass
--     one through _TRACK(t) to have its writes recorded). Register a compensation with
--     _UNDO(fn): it runs, last first, when the hotfix fails later or the patch is rolled back.
--   * debug.setlocal, debug.setuservalue and writes through a table's own __newindex (only the
--     table's own fields are restored).
-- Proxies are ordinary tables to the hotfix (pairs, ipairs, #, ==, tostring, table.insert and the
-- other table functions work through them); `next`, `rawget`, `rawset`, `rawlen`, `rawequal`,
-- `getmetatable` and `setmetatable` in the hotfix's environment see through them too. C functions
-- that read a table without metamethods (skynet.pack) see a proxy as empty: pack _RAW(t) instead.

local getupvalue, setupvalue, upvaluejoin, upvalueid = debug.getupvalue, debug.setupvalue,
	debug.upvaluejoin, debug.upvalueid
local getinfo, dgetmetatable, dsetmetatable = debug.getinfo, debug.getmetatable, debug.setmetatable
local rawget, rawset, rawequal, rawlen, next, pairs, type = rawget, rawset, rawequal, rawlen,
	next, pairs, type
local setmetatable, getmetatable, tostring, pcall = setmetatable, getmetatable, tostring, pcall

local Journal = {}
Journal.__index = Journal

-- Every proxy's table and journal (weak: a proxy lives as long as something holds it), and the one
-- metatable of all proxies, so that starting a journal makes no closures.
local real_of = setmetatable({}, { __mode = "k" })
local journal_of = setmetatable({}, { __mode = "k" })
local proxy_mt = {}
function proxy_mt.__index(p, k)
	return journal_of[p]:wrap(real_of[p][real_of[k] or k])
end
function proxy_mt.__newindex(p, k, v)
	journal_of[p]:assign(real_of[p], real_of[k] or k, real_of[v] or v)
end
function proxy_mt.__pairs(p)
	local journal = journal_of[p]
	local iterate, state, control = pairs(real_of[p])
	return function()
		local k, v = iterate(state, control)
		control = k
		if k ~= nil then
			return journal:wrap(k), journal:wrap(v)
		end
	end, p, nil
end
function proxy_mt.__len(p) return #real_of[p] end
function proxy_mt.__tostring(p) return tostring(real_of[p]) end
function proxy_mt.__call(p, ...) return real_of[p](...) end
function proxy_mt.__eq(a, b) return (real_of[a] or a) == (real_of[b] or b) end
function proxy_mt.__lt(a, b) return (real_of[a] or a) < (real_of[b] or b) end
function proxy_mt.__le(a, b) return (real_of[a] or a) <= (real_of[b] or b) end
function proxy_mt.__concat(a, b) return (real_of[a] or a) .. (real_of[b] or b) end

local M = {}

function M.new(chunkname)
	local self = setmetatable({
		chunkname = chunkname,
		open = true,
		entries = {},                                   -- the changes, in order
		fields = setmetatable({}, { __mode = "k" }),    -- table -> { key -> true }: old value kept
		cells = {},                                     -- upvalueid -> true: old value kept
		proxy_of = setmetatable({}, { __mode = "k" }),  -- table -> proxy
		deferred = {},
	}, Journal)
	return self
end

local function unwrap(self, v)
	return real_of[v] or v
end

function Journal:wrap(v)
	if type(v) ~= "table" or real_of[v] then
		return v
	end
	local p = self.proxy_of[v]
	if p == nil then
		p = setmetatable({}, proxy_mt)
		real_of[p], journal_of[p], self.proxy_of[v] = v, self, p
	end
	return p
end

-- Records t[k]'s old value, the first time this field is about to change.
function Journal:record_field(t, k)
	if self.open then
		local keys = self.fields[t]
		if keys == nil then
			keys = {}
			self.fields[t] = keys
		end
		if not keys[k] then
			keys[k] = true
			local entries = self.entries
			entries[#entries + 1] = { kind = "field", t = t, k = k, old = rawget(t, k) }
		end
	end
end

-- Assigns t[k] = v (metamethods included, as the hotfix wrote it), recorded.
function Journal:assign(t, k, v)
	if k ~= nil then
		self:record_field(t, k)
	end
	t[k] = v
end

-- Records the old value of upvalue `i` of `f`'s cell (shared by every closure joined to it).
function Journal:record_cell(f, i)
	local id = upvalueid(f, i)
	if not self.cells[id] then
		self.cells[id] = true
		local _, old = getupvalue(f, i)
		local entries = self.entries
		entries[#entries + 1] = { kind = "upvalue", f = f, i = i, old = old }
	end
end

-- A closure that shares `f`'s upvalue `i` cell, so that the cell outlives a join that detaches `f`.
local function keeper_of(f, i)
	local cell	-- luacheck: ignore 221 (never set: the join below replaces it)
	local function keeper() return cell end
	upvaluejoin(keeper, 1, f, i)
	return keeper
end

function Journal:debug()
	local j = {}
	for k, v in pairs(debug) do
		j[k] = v
	end
	function j.getupvalue(f, i)
		local name, v = getupvalue(f, i)
		return name, self:wrap(v)
	end
	function j.setupvalue(f, i, v)
		if type(f) == "function" and type(i) == "number" and getupvalue(f, i) ~= nil and self.open then
			self:record_cell(f, i)
		end
		return setupvalue(f, i, unwrap(self, v))
	end
	function j.upvaluejoin(f1, n1, f2, n2)
		if self.open and type(f1) == "function" and type(n1) == "number" and getupvalue(f1, n1) ~= nil
			and type(f2) == "function" and type(n2) == "number" and getupvalue(f2, n2) ~= nil then
			local entries = self.entries
			entries[#entries + 1] = { kind = "join", f = f1, i = n1, keeper = keeper_of(f1, n1) }
		end
		return upvaluejoin(f1, n1, f2, n2)
	end
	function j.getmetatable(v)
		return self:wrap(dgetmetatable(unwrap(self, v)))
	end
	function j.setmetatable(v, mt)
		local t = unwrap(self, v)
		self:record_metatable(t)
		dsetmetatable(t, unwrap(self, mt))
		return v
	end
	return j
end

function Journal:record_metatable(t)
	if self.open and type(t) == "table" then
		local entries = self.entries
		entries[#entries + 1] = { kind = "metatable", t = t, old = dgetmetatable(t) }
	end
end

-- The helpers of a hotfix's environment, made on first use (most hotfixes use none of them):
-- name -> function(journal) -> value.
local helpers = {}
function helpers.debug(self) return self:debug() end
function helpers._G(self) return self:wrap(_G) end
function helpers.require(self) return function(name) return self:wrap(require(name)) end end
function helpers.next(self)
	return function(t, k)
		local nk, nv = next(unwrap(self, t), unwrap(self, k))
		return self:wrap(nk), self:wrap(nv)
	end
end
function helpers.rawget(self)
	return function(t, k) return self:wrap(rawget(unwrap(self, t), unwrap(self, k))) end
end
function helpers.rawset(self)
	return function(t, k, v)
		local real, key = unwrap(self, t), unwrap(self, k)
		if not rawequal(real, t) and key ~= nil then	-- a service table: recorded like any assignment
			self:record_field(real, key)
		end
		rawset(real, key, unwrap(self, v))
		return t
	end
end
function helpers.rawlen(self) return function(t) return rawlen(unwrap(self, t)) end end
function helpers.rawequal(self) return function(a, b) return rawequal(unwrap(self, a), unwrap(self, b)) end end
function helpers.getmetatable(self)
	return function(t)
		local real = unwrap(self, t)
		local mt = getmetatable(real)
		if mt ~= nil and rawequal(mt, dgetmetatable(real)) then
			return self:wrap(mt)
		end
		return mt	-- a __metatable field, as given
	end
end
function helpers.setmetatable(self)
	return function(t, mt)
		local real = unwrap(self, t)
		if not rawequal(real, t) then
			self:record_metatable(real)
		end
		setmetatable(real, unwrap(self, mt))
		return t
	end
end
function helpers._DEFER(self)
	return function(fn) self.deferred[#self.deferred + 1] = fn end
end
function helpers._UNDO(self)
	return function(fn)
		local entries = self.entries
		entries[#entries + 1] = { kind = "custom", fn = fn }
	end
end
function helpers._TRACK(self) return function(t) return self:wrap(t) end end
function helpers._RAW(self) return function(t) return unwrap(self, t) end end

local function env_index(env, k)
	local self = journal_of[env]
	local helper = self.open and helpers[k]
	if helper then
		local value = helper(self)
		rawset(env, k, value)
		return value
	end
	return self:wrap(_G[k])
end

local env_mt = { __index = env_index }

-- The hotfix's environment: _U and _P as proxies, its globals and modules through proxies, the
-- recording `debug`, and the helpers described at the top of this file.
function Journal:env(u, p, print)
	local env = setmetatable({ print = print, _U = self:wrap(u), _P = self:wrap(p) }, env_mt)
	journal_of[env] = self
	self.env, self.u, self.p = env, u, p
	return env
end

-- Puts back what one recorded change replaced (a compensation runs); returns the error of a
-- compensation that raised.
local function restore(e)
	local kind = e.kind
	if kind == "field" then
		rawset(e.t, e.k, e.old)
	elseif kind == "upvalue" then
		setupvalue(e.f, e.i, e.old)
	elseif kind == "join" then
		upvaluejoin(e.f, e.i, e.keeper, 1)
	elseif kind == "metatable" then
		dsetmetatable(e.t, e.old)
	else
		local ok, err = pcall(e.fn)
		if not ok then
			return tostring(err)
		end
	end
end

-- Reverses every recorded change, last first. Returns the errors of compensations (_UNDO
-- functions) that raised.
function Journal:undo()
	local entries, failures = self.entries, {}
	for n = #entries, 1, -1 do
		failures[#failures + 1] = restore(entries[n])
	end
	self:close()
	return failures
end

-- Whether a committed change's slot still holds what the hotfix left in it (commit set `new`).
local function unchanged(e)
	local kind = e.kind
	if kind == "field" then
		return rawequal(rawget(e.t, e.k), e.new)
	elseif kind == "upvalue" then
		local _, v = getupvalue(e.f, e.i)
		return rawequal(v, e.new)
	elseif kind == "join" then
		return upvalueid(e.f, e.i) == e.new
	elseif kind == "metatable" then
		return rawequal(dgetmetatable(e.t), e.new)
	end
	return true
end

-- The rollback of a committed patch (lualib/skynet/patch.lua): reverses its changes, last first,
-- except those whose slot was changed since (kept). Returns the counts restored and kept, and
-- the errors of compensations that raised.
function M.revert(changes)
	local restored, kept, failures = 0, 0, {}
	for n = #changes, 1, -1 do
		local e = changes[n]
		if unchanged(e) then
			failures[#failures + 1] = restore(e)
			restored = restored + 1
		else
			kept = kept + 1
		end
	end
	return restored, kept, failures
end

-- Functions and tables the hotfix made (a function's source is its chunk), whose upvalues and
-- fields may still hold proxies.
local function scrub(self, v, seen)
	if seen[v] then
		return
	end
	local kind = type(v)
	if kind == "function" then
		seen[v] = true
		if getinfo(v, "S").source ~= self.chunkname then
			return
		end
		local i = 1
		while true do
			local name, u = getupvalue(v, i)
			if name == nil then
				break
			end
			local real = real_of[u]
			if real then
				setupvalue(v, i, real)
			elseif type(u) == "function" or (type(u) == "table" and u ~= self.env) then
				scrub(self, u, seen)
			end
			i = i + 1
		end
	elseif kind == "table" and not real_of[v] and not self.proxy_of[v] then
		-- (a table the hotfix reached through a proxy is the service's: proxies never went in it)
		seen[v] = true
		local moved = {}
		for k, x in next, v do
			local rk, rx = real_of[k], real_of[x]
			if rk or rx then
				moved[#moved + 1] = { k, rk or k, rx or x }
			end
			scrub(self, rk or k, seen)
			scrub(self, rx or x, seen)
		end
		for _, m in ipairs(moved) do
			rawset(v, m[1], nil)
			rawset(v, m[2], m[3])
		end
	end
end

-- The hotfix returned: the changes with the values they left (`new`), for the patch stack.
function Journal:commit()
	local entries, seen = self.entries, {}
	for n = 1, #entries do
		local e = entries[n]
		local kind = e.kind
		if kind == "field" then
			e.new = rawget(e.t, e.k)
			scrub(self, e.new, seen)
		elseif kind == "upvalue" then
			local _, v = getupvalue(e.f, e.i)
			local real = real_of[v]
			if real then
				setupvalue(e.f, e.i, real)
				v = real
			end
			e.new = v
			scrub(self, v, seen)
		elseif kind == "join" then
			e.new = upvalueid(e.f, e.i)
		elseif kind == "metatable" then
			e.new = dgetmetatable(e.t)
			scrub(self, e.new, seen)
		end
	end
	self:close()
	return entries
end

-- Hands the environment back to Skynet's plain shape and stops recording.
function Journal:close()
	self.open = false
	local env = self.env
	if env then
		for name in pairs(helpers) do	-- (the ones the hotfix used are cached in env)
			rawset(env, name, nil)
		end
		journal_of[env] = nil
		rawset(env, "_U", self.u)
		rawset(env, "_P", self.p)
		setmetatable(env, { __index = _G })
	end
end

-- Runs the _DEFER functions of a hotfix that succeeded; returns the errors of those that raised.
function Journal:run_deferred()
	local failures = {}
	for _, fn in ipairs(self.deferred) do
		local ok, err = pcall(fn)
		if not ok then
			failures[#failures + 1] = tostring(err)
		end
	end
	return failures
end

local SUMMARY_ORDER = { "field", "upvalue", "join", "metatable", "custom" }
local SUMMARY_WORDS = { field = "field", upvalue = "upvalue", join = "upvalue join",
	metatable = "metatable", custom = "compensation" }

-- How many changes of each kind (for reports): "2 fields, 1 upvalue, 1 upvalue join".
function M.summary(entries)
	local counts, order, words = {}, SUMMARY_ORDER, SUMMARY_WORDS
	for _, e in ipairs(entries) do
		counts[e.kind] = (counts[e.kind] or 0) + 1
	end
	local parts = {}
	for _, kind in ipairs(order) do
		local n = counts[kind]
		if n then
			parts[#parts + 1] = string.format("%d %s%s", n, words[kind], n == 1 and "" or "s")
		end
	end
	return #parts > 0 and table.concat(parts, ", ") or "no change"
end

return M
