-- snax.hotfix: patches the methods of a running snax service (snaxd), as Skynet's does, all or
-- nothing.
--
--   local hotfix = require "snax.hotfix"
--   hotfix(funcs, source, ...) -> true, what the patch's hotfix function returns
--                               | false, the error (nothing changed)
--   hotfix.apply(funcs, source, ...) -> true, undo, number of methods replaced, what the patch's
--                                       hotfix function returns | false, the error
--       undo() puts the methods the patch replaced back
--
-- `source` is written like a snax service file: `function accept.NAME` / `function response.NAME`
-- replace those methods (a name the service lacks is an error), and `function hotfix(...)`, if
-- present, runs once the methods are in place, with `...`. A local the patch declares without a
-- value (`local count`) is the service's local of that name: the new functions share it (joined
-- upvalues), as do their globals. Skynet applies the methods one by one; here they are checked
-- first and applied together, and if `hotfix` raises, the methods and the upvalues the patch
-- shares with the service are put back as they were.

local interface = require "snax.interface"

-- The value of _ENV in the patch's chunk: an upvalue holding it is joined to the service's _ENV.
local patch_env = {}
for k, v in pairs(_ENV) do
	patch_env[k] = v
end

local function env_id(f)
	local i = 1
	while true do
		local name = debug.getupvalue(f, i)
		if name == nil then
			return nil
		elseif name == "_ENV" then
			return debug.upvalueid(f, i)
		end
		i = i + 1
	end
end

-- name -> { func, index }: every upvalue of the service's methods, and of the functions they
-- reach through upvalues (with the same _ENV); one name must mean one variable.
local function service_upvalues(funcs)
	local found = {}
	local function collect(f, env)
		local i = 1
		while true do
			local name, value = debug.getupvalue(f, i)
			if name == nil then
				return
			end
			local id = debug.upvalueid(f, i)
			local known = found[name]
			if known then
				assert(known.id == id, string.format("ambiguity local value %s", name))
			else
				found[name] = { func = f, index = i, id = id }
				if type(value) == "function" and env_id(value) == env then
					collect(value, env)
				end
			end
			i = i + 1
		end
	end
	for _, desc in pairs(funcs) do
		if desc[4] then
			collect(desc[4], env_id(desc[4]))
		end
	end
	return found
end

-- Joins the upvalues of `f` (and of the functions it holds) that the patch left unset, or that
-- hold the patch's _ENV, to the service's variables of the same name.
local function join(f, shared, seen)
	if seen[f] then
		return
	end
	seen[f] = true
	local i = 1
	while true do
		local name, value = debug.getupvalue(f, i)
		if name == nil then
			return
		end
		if value == nil or value == patch_env then
			local variable = shared[name]
			if variable then
				debug.upvaluejoin(f, i, variable.func, variable.index)
			end
		elseif type(value) == "function" then
			join(value, shared, seen)
		end
		i = i + 1
	end
end

local function find(funcs, group, name)
	for _, desc in pairs(funcs) do
		if desc[2] == group and desc[3] == name then
			return desc
		end
	end
end

local M = {}

function M.apply(funcs, source, ...)
	local loader = function() return load(source, "=patch", "bt", patch_env) end
	local ok, patch = pcall(interface, "patch", patch_env, loader)
	if not ok then
		return false, patch
	end
	local shared = service_upvalues(funcs)
	-- Check every method first: a name the service lacks changes nothing.
	local changes = {}
	for _, desc in pairs(patch) do
		local _, group, name, f = table.unpack(desc)
		if f and group ~= "system" then
			local target = find(funcs, group, name)
			if not target then
				return false, string.format("Patch mismatch %s.%s", group, name)
			end
			changes[#changes + 1] = { target = target, old = target[4], new = f }
		end
	end
	local seen = {}
	for _, change in ipairs(changes) do
		join(change.new, shared, seen)
	end
	-- What the patch's hotfix may change through the shared variables, to put back if it fails.
	local saved = {}
	for name, variable in pairs(shared) do
		saved[name] = select(2, debug.getupvalue(variable.func, variable.index))
	end
	for _, change in ipairs(changes) do
		change.target[4] = change.new
	end
	local function undo()
		for _, change in ipairs(changes) do
			change.target[4] = change.old
		end
	end
	local result = table.pack(true)
	local fix = find(patch, "system", "hotfix")
	if fix and fix[4] then
		join(fix[4], shared, seen)
		result = table.pack(xpcall(fix[4], debug.traceback, ...))
		if not result[1] then
			undo()
			for name, variable in pairs(shared) do
				debug.setupvalue(variable.func, variable.index, saved[name])
			end
			return false, result[2]
		end
	end
	return true, undo, #changes, table.unpack(result, 2, result.n)
end

return setmetatable(M, {
	__call = function(_, funcs, source, ...)
		local result = table.pack(M.apply(funcs, source, ...))
		if result[1] then
			return true, table.unpack(result, 4, result.n)
		end
		return false, result[2]
	end,
})
