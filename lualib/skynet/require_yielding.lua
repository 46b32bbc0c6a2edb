-- skynet.require_yielding: the part of skynet.require (lualib/skynet/require.lua) that loads a
-- module required from a skynet thread, so that the module's body may yield. require.lua runs
-- this file once, the first time it is needed, as chunk(init_lists, lua_require), and uses the
-- function it returns: (name) -> module. It is not a module to require.
--
-- init_lists is require.lua's table thread -> the skynet.init functions registered while that
-- thread loads a module; lua_require is Lua's own require. Behaviour as Skynet 1.8: when two
-- threads require the same module at once, the second waits for the first to finish; a module
-- that requires itself (directly or not) in the same thread is an error "circular dependency";
-- a module whose loading failed in another thread gives "require <name> failed".

local init_lists, lua_require = ...
assert(type(init_lists) == "table", "skynet.require_yielding is loaded by skynet.require")

local loaded = package.loaded

-- module name -> { owner = loading thread, [i] = threads waiting for it }
local in_progress = {}

local function skynet_api()
	return lua_require "skynet"
end

-- Runs `body` (the module's chunk) and then the functions it registered; stores the module.
local function run_module(body, name, filename, inits)
	local result = body(name, filename)
	for i = 1, #inits do
		inits[i]()
	end
	if result == nil then
		result = true
	end
	loaded[name] = result
end

return function(name)
	-- Another thread loading it already: wait for its result (before searching, which would
	-- load the file and record its version again).
	local co = coroutine.running()
	local progress = in_progress[name]
	if progress then
		if progress.owner == co then
			error("circular dependency", 2)
		end
		progress[#progress + 1] = co
		skynet_api().wait(co)
		local module = loaded[name]
		if module == nil then
			error(string.format("require %s failed", name), 2)
		end
		return module
	end

	-- Lua's own searcher (Skyhost's, over the code cache), which also records which version of
	-- the module this service runs (see lualib/skynet/patch.lua). Not a Lua file on package.path
	-- (a C module, a preload...), or one that does not load: Lua's require loads it or says why.
	local found, body, filename = pcall(package.searchers[2], name)
	if not found or type(body) ~= "function" then
		return lua_require(name)
	end

	progress = { owner = co }
	in_progress[name] = progress
	local saved = init_lists[co]
	local inits = {}
	init_lists[co] = inits

	local ok, err = xpcall(run_module, debug.traceback, body, name, filename, inits)

	init_lists[co] = saved
	in_progress[name] = nil
	if #progress > 0 then
		local skynet = skynet_api()
		for i = 1, #progress do
			skynet.wakeup(progress[i])
		end
	end
	if not ok then
		error(err, 0)
	end
	return loaded[name]
end
