-- skynet.injectcode: runs Lua source as if it were written inside a function that is running
-- (or suspended in a coroutine), as Skynet's remote debugger does with what the operator types.
--
--   local injectcode = require "skynet.injectcode"
--   injectcode(source, co, level, ext_funcs) -> true, what the source returns | false, error
--
-- `co` is the coroutine (default: the running one) and `level` its frame (0, the default: the
-- function that calls injectcode, when `co` is the running coroutine). The source sees that
-- function's locals (their new values are written back once it has run), its upvalues (shared:
-- an assignment changes the function's variable), its `...`, and the names of `ext_funcs`
-- (a table of extra values, e.g. the debugger's commands).

local debug = debug

local TEMPLATE = [[
local %s
return function(...)
%s
end, function()
return { %s }
end
]]

-- The function to run and the one that collects the locals' values afterwards, then the frame's
-- varargs; or nil and the error.
local function wrap(co, level, source, ext_funcs)
	local f = debug.getinfo(co, level, "f")
	f = f and f.func
	if f == nil then
		return nil, "Invalid level"
	end
	local names, locals, local_values, upvalue_index = {}, {}, {}, {}
	for name in pairs(ext_funcs or {}) do
		names[#names + 1] = name
	end
	local i = 1
	while true do
		local name, value = debug.getlocal(co, level, i)
		if name == nil then
			break
		end
		if name:byte() ~= 40 then	-- not a temporary, "(...)"
			names[#names + 1] = name
			locals[#locals + 1] = string.format("[%d] = %s,", i, name)
			local_values[name] = value
		end
		i = i + 1
	end
	i = 1
	while true do
		local name = debug.getupvalue(f, i)
		if name == nil then
			break
		end
		upvalue_index[name] = i
		names[#names + 1] = name
		i = i + 1
	end
	local chunk = string.format(TEMPLATE, #names > 0 and table.concat(names, ", ") or "_", source,
		table.concat(locals))
	local loader, err = load(chunk, "=(debug)")
	if loader == nil then
		return nil, err
	end
	local run, collect = loader()
	i = 1
	while true do
		local name = debug.getupvalue(run, i)
		if name == nil then
			break
		end
		if ext_funcs and ext_funcs[name] ~= nil then
			debug.setupvalue(run, i, ext_funcs[name])
		end
		if local_values[name] ~= nil then
			debug.setupvalue(run, i, local_values[name])
		end
		if upvalue_index[name] then
			debug.upvaluejoin(run, i, f, upvalue_index[name])
		end
		i = i + 1
	end
	local varargs = {}
	i = 1
	while true do
		local name, value = debug.getlocal(co, level, -i)
		if name == nil then
			break
		end
		varargs[i] = value
		i = i + 1
	end
	return run, collect, table.unpack(varargs, 1, i - 1)
end

-- Runs `run` and writes the locals back into the frame (`level` as seen from here).
local function execute(co, level, run, collect, ...)
	if not run then
		return false, collect
	end
	local results = table.pack(pcall(run, ...))
	if not results[1] then
		return false, results[2]
	end
	for index, value in pairs(collect()) do
		debug.setlocal(co, level, index, value)
	end
	return table.unpack(results, 1, results.n)
end

return function(source, co, level, ext_funcs)
	co = co or coroutine.running()
	level = level or 0
	if co == coroutine.running() then
		-- frames from wrap: wrap (1), this function (2), its caller (3); from execute, which this
		-- function calls in a tail call: execute (1), the caller (2)
		return execute(co, level + 2, wrap(co, level + 3, source, ext_funcs))
	end
	return execute(co, level, wrap(co, level, source, ext_funcs))
end
