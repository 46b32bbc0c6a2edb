-- skynet.patch: the patches a service runs, and rolling them back.
--
--   local patch = require "skynet.patch"
--   patch.push(record)             -> id      an inject or a module reload that was applied
--   patch.list()                   -> { { id, kind, name, checksum, time, operator, broadcast, summary }, ... }
--   patch.rollback(count, roots)   -> report lines, or nil, reason
--   patch.rollback_broadcast(id, roots) -> report lines, or nil, reason (the top patch must be it)
--   patch.versions()               -> { [module] = sha1 of the file it was loaded from }
--
-- A record: kind "inject" (changes = the journal's entries, see skynet.journal; summary),
-- "reload" (module = name, old / new = the module values, old_version = the old checksum), or any
-- other kind with undo = a function that undoes it and returns its report; name (the
-- file or module), checksum (SHA-1 of the hotfix source, or the module file's), operator (who
-- applied it: the token's operator when the node has an update key), broadcast (the id of the
-- broadcast it was part of, if any).
--
-- Rolling a patch back restores the previous functions and keeps the data that the handlers
-- changed since: each slot the patch changed (a table field, an upvalue, a join, a metatable) is
-- put back only if it still holds what the patch left there; a slot changed since keeps its
-- current value and is reported as kept. A module reload is rolled back by putting the old module
-- back in package.loaded and in every upvalue of the service's handlers that holds the new one,
-- after moving the state across the way the hot-update template does it:
-- old.set_state(new.get_state()) when both exist. Patches are rolled back last first; the stack
-- keeps the last STACK_LIMIT patches (older ones are forgotten, with a line in the log).

local skynet = require "skynet"

local getupvalue, setupvalue = debug.getupvalue, debug.setupvalue

local STACK_LIMIT = 64
local VERSIONS = "skyhost.module_versions"	-- registry key, kept by the module loader (code_cache.c)

local M = {
	HANDED_OVER = "skyhost.patch_history",	-- registry key: see the end of this file
}

local stack = {}	-- applied patches, oldest first
local last_id = 0

function M.push(record)
	last_id = last_id + 1
	record.id = last_id
	record.time = os.time()
	stack[#stack + 1] = record
	if #stack > STACK_LIMIT then
		local dropped = table.remove(stack, 1)
		skynet.error(string.format("patch #%d (%s) is older than the last %d and can no longer be rolled back",
			dropped.id, dropped.name, STACK_LIMIT))
	end
	return last_id
end

-- "module shared dff3bff1 -> 2bb0b065": a reload's versions, before and after.
local function reload_summary(r)
	local function short(checksum) return checksum and checksum:sub(1, 8) or "none" end
	return string.format("module %s %s -> %s", r.module, short(r.old_version), short(r.checksum))
end

function M.list()
	local list = {}
	for i, r in ipairs(stack) do
		list[i] = { id = r.id, kind = r.kind, name = r.name, checksum = r.checksum, time = r.time,
			operator = r.operator, broadcast = r.broadcast, summary = r.summary or reload_summary(r) }
	end
	return list
end

function M.versions()
	local versions = debug.getregistry()[VERSIONS]
	local result = {}
	if versions then
		for name, checksum in pairs(versions) do
			if package.loaded[name] ~= nil then
				result[name] = checksum
			end
		end
	end
	return result
end

-- The version entry of a module (hotfix.lua puts it back when a reload fails).
function M.version_of(name)
	local versions = debug.getregistry()[VERSIONS]
	return versions and versions[name]
end

function M.set_version(name, checksum)
	local registry = debug.getregistry()
	local versions = registry[VERSIONS]
	if versions == nil then
		versions = {}
		registry[VERSIONS] = versions
	end
	versions[name] = checksum
end

-- The patch on top of the stack, if any.
function M.top()
	return stack[#stack]
end

-- What a reload in place hands to the new state: the records as `list` gives them (but the top
-- one when `without_top`: the reload a rollback undoes), and the last id, so that ids go on.
function M.history(without_top)
	local records = M.list()
	if without_top then
		records[#records] = nil
	end
	return { records = records, last_id = last_id }
end

-- In a state a reload in place started: the history of the state it replaced (`records` and
-- `last_id`, as `history` gives them), then `record`, the reload, its id and time already set
-- (none for a rollback). Records of injects and module reloads can no longer be rolled back (the
-- code they patched is gone); those of service reloads can, as long as the runtime keeps the
-- code they replaced.
function M.adopt(handed)
	for _, r in ipairs(handed.records or {}) do
		r.replaced = r.kind ~= "reload_service" or nil
		stack[#stack + 1] = r
	end
	last_id = math.max(last_id, handed.last_id or 0)
	local record = handed.record
	if record then
		stack[#stack + 1] = record
		last_id = math.max(last_id, record.id)
	end
	while #stack > STACK_LIMIT do
		local dropped = table.remove(stack, 1)
		skynet.error(string.format("patch #%d (%s) is older than the last %d and can no longer be rolled back",
			dropped.id, dropped.name, STACK_LIMIT))
	end
end

---------------------------------------------------------------------------------------------------
-- Rolling back an inject

local function rollback_inject(record)
	-- (the journal is loaded here: a reload needs none of it)
	local restored, kept, failures = require("skynet.journal").revert(record.changes)
	local line = string.format("%d restored", restored)
	if kept > 0 then
		line = line .. string.format(", %d kept (changed since the patch)", kept)
	end
	if #failures > 0 then
		line = line .. ", compensation failed: " .. table.concat(failures, "; ")
	end
	return line
end

---------------------------------------------------------------------------------------------------
-- Rolling back a module reload

local TABLE_SCAN_LIMIT = 256	-- fields looked at in each table found among the handlers' upvalues

-- Replaces `from` by `to` in the upvalues of the handlers (roots) and of the functions they reach
-- through upvalues, or through the fields of tables among those upvalues (a CMD table).
local function rebind(roots, from, to)
	local seen, count = { [from] = true, [to] = true }, 0
	local visit_table
	local function visit_function(f)
		if seen[f] then
			return
		end
		seen[f] = true
		local i = 1
		while true do
			local name, v = getupvalue(f, i)
			if name == nil then
				return
			end
			if rawequal(v, from) then
				setupvalue(f, i, to)
				count = count + 1
			elseif type(v) == "function" then
				visit_function(v)
			elseif type(v) == "table" then
				visit_table(v)
			end
			i = i + 1
		end
	end
	function visit_table(t)
		if seen[t] then
			return
		end
		seen[t] = true
		local n = 0
		for _, v in next, t do
			n = n + 1
			if n > TABLE_SCAN_LIMIT then
				return
			end
			if type(v) == "function" then
				visit_function(v)
			end
		end
	end
	for _, f in ipairs(roots) do
		visit_function(f)
	end
	return count
end

local function rollback_reload(record, roots)
	local name, old, new = record.module, record.old, record.new
	if package.loaded[name] ~= new then
		return "kept: the module was replaced since"
	end
	if type(old) == "table" and type(new) == "table" and type(old.set_state) == "function"
		and type(new.get_state) == "function" then
		local ok, err = pcall(function() old.set_state(new.get_state()) end)
		if not ok then
			return nil, "moving the state back failed: " .. tostring(err)
		end
	end
	package.loaded[name] = old
	M.set_version(name, record.old_version)
	local count = old ~= nil and rebind(roots, new, old) or 0
	return string.format("module %s restored, %d reference%s rebound", name, count, count == 1 and "" or "s")
end

---------------------------------------------------------------------------------------------------

local function describe(record)
	return string.format("#%d %s %s", record.id, record.kind, record.name)
end

local function rollback_top(roots)
	local record = stack[#stack]
	local line, err
	if record.replaced then
		return nil, string.format("%s: it patched the code a reload replaced", describe(record))
	elseif record.kind == "reload_service" then
		return nil, string.format("%s: a service reload is rolled back on its own (rollback ADDRESS 1)",
			describe(record))
	elseif record.undo then	-- a patch that knows how to undo itself (a snax hotfix)
		line = record.undo()
	elseif record.kind == "reload" then
		line, err = rollback_reload(record, roots)
	else
		line = rollback_inject(record)
	end
	if not line then
		return nil, string.format("%s: %s", describe(record), err)
	end
	stack[#stack] = nil
	line = string.format("rolled back %s: %s", describe(record), line)
	skynet.error(line)
	return line
end

-- Rolls back the last `count` patches (default 1). Stops at the first that cannot be rolled back
-- (only a failing set_state can do that), reporting what was done before it.
function M.rollback(count, roots)
	count = math.tointeger(tonumber(count or 1))
	if not count or count < 1 then
		return nil, "the number of patches to roll back must be a positive integer"
	end
	if count > #stack then
		return nil, string.format("only %d patch%s to roll back", #stack, #stack == 1 and "" or "es")
	end
	local lines = {}
	for _ = 1, count do
		local line, err = rollback_top(roots)
		if not line then
			lines[#lines + 1] = "stopped: " .. err
			return nil, table.concat(lines, "\n")
		end
		lines[#lines + 1] = line
	end
	return lines
end

-- Rolls back this service's patch of broadcast `id`, which must be its last patch.
function M.rollback_broadcast(id, roots)
	local found
	for i = #stack, 1, -1 do
		if stack[i].broadcast == id then
			found = i
			break
		end
	end
	if not found then
		return nil, "no patch of broadcast " .. tostring(id)
	end
	if found ~= #stack then
		local later = {}
		for i = found + 1, #stack do
			later[#later + 1] = "#" .. stack[i].id
		end
		return nil, string.format("%s is not the last patch: roll back %s first", describe(stack[found]),
			table.concat(later, ", "))
	end
	local line, err = rollback_top(roots)
	if not line then
		return nil, err
	end
	return { line }
end

-- A reload in place leaves the history it hands over here, rather than load this module in
-- every state it starts (lualib/skynet/api/reload.lua).
do
	local registry = debug.getregistry()
	local handed = registry[M.HANDED_OVER]
	if handed then
		registry[M.HANDED_OVER] = nil
		M.adopt(handed)
	end
end

return M
