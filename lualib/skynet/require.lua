-- skynet.require: `require` for services, with Skynet's two-step module initialisation.
--
-- A module may register functions with skynet.init(f) while it loads. They run:
--   * for modules required by the service's main chunk (the main thread): just before the start
--     function, from skynet.start (init_all);
--   * for modules required later, from a skynet thread: as soon as the module body returns,
--     before `require` returns.
-- A module required from a skynet thread is loaded by lualib/skynet/require_yielding.lua rather
-- than by Lua's require, so that its body may yield (call other services). When two threads
-- require the same module at once, the second waits for the first to finish, and a module that
-- requires itself (directly or not) in the same thread is an error.
--
-- loader.lua installs M.require as the global `require`. Behaviour as Skynet 1.8. A module
-- required again after `package.loaded[name] = nil` is loaded from its file again (the node's
-- code cache checks the file and only saves the compilation of an unchanged one).
--
-- Every service holds its own copy of this code (stock Lua cannot share compiled functions
-- between states), so the part that only a require from a skynet thread needs is in
-- require_yielding.lua, loaded the first time it is needed.

local M = {}

local main_thread, is_main = coroutine.running()
assert(is_main, "skynet.require must initialize in main thread")

local lua_require = require
local loaded = package.loaded

-- thread -> list of functions registered by skynet.init while that thread loads a module.
-- The main thread's list waits for init_all.
local init_lists = { [main_thread] = {} }

local require_in_thread	-- (name) -> module, from require_yielding.lua

function M.require(name)
	local module = loaded[name]
	if module ~= nil then
		return module
	end
	local _, main = coroutine.running()
	if main then
		return lua_require(name)
	end
	if require_in_thread == nil then
		local path = assert(package.searchpath("skynet.require_yielding", package.path))
		require_in_thread = assert(loadfile(path))(init_lists, lua_require)
	end
	return require_in_thread(name)
end

-- Lua's own require, for a module known not to yield while it loads, required from a skynet
-- thread (skynet.lua loads skynet.debug that way, without require_yielding.lua).
M.lua_require = lua_require

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
