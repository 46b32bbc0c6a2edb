-- skynet.require: `require` for services, with Skynet's two-step module initialisation.
--
-- A module may register functions with skynet.init(f) while it loads. They run:
--   * for modules required by the service's main chunk (the main thread): just before the start
--     function, from skynet.start (init_all);
--   * for modules required later, from a skynet thread: as soon as the module body returns,
--     before `require` returns.
-- A module required from a skynet thread is loaded by this module rather than by Lua's require,
-- so that its body may yield (call other services). When two threads require the same module at
-- once, the second waits for the first to finish, and a module that requires itself (directly
-- or not) in the same thread is an error.
--
-- loader.lua installs M.require as the global `require`. Behaviour as Skynet 1.8. Skyhost has no
-- code cache, so a module required again after `package.loaded[name] = nil` is read from disk.

local M = {}

local main_thread, is_main = coroutine.running()
assert(is_main, "skynet.require must initialize in main thread")

local lua_require = require
local loaded = package.loaded
local searchpath = package.searchpath

-- thread -> list of functions registered by skynet.init while that thread loads a module.
-- The main thread's list waits for init_all.
local init_lists = { [main_thread] = {} }
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

function M.require(name)
	local module = loaded[name]
	if module ~= nil then
		return module
	end
	local co, main = coroutine.running()
	if main then
		return lua_require(name)
	end
	local filename = searchpath(name, package.path)
	if not filename then	-- not a Lua file on package.path (a C module, a preload...)
		return lua_require(name)
	end
	local body = loadfile(filename)
	if not body then	-- let Lua's require report the error
		return lua_require(name)
	end

	local progress = in_progress[name]
	if progress then
		if progress.owner == co then
			error("circular dependency", 2)
		end
		progress[#progress + 1] = co
		skynet_api().wait(co)
		module = loaded[name]
		if module == nil then
			error(string.format("require %s failed", name), 2)
		end
		return module
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

-- Runs the functions registered while the main chunk loaded (called by skynet.init_service).
function M.init_all()
	local list = init_lists[main_thread]
	init_lists[main_thread] = nil
	if list then
		for i = 1, #list do
			list[i]()
		end
	end
end

-- skynet.init(f): run f once the module being loaded is ready (see above).
function M.init(f)
	assert(type(f) == "function", "skynet.init needs a function")
	local list = init_lists[coroutine.running()]
	if not list then
		error("skynet.init called outside the loading of a module", 2)
	end
	list[#list + 1] = f
end

return M
