-- loader.lua: the first Lua code of every Lua service (Skynet's lualib/loader.lua), loaded by the
-- host through the node's code cache (as `loadfile` is) and run with the launch string
-- "name arg1 arg2 ...".
--
-- The host creates the service's lua_State, sets the globals
--   LUA_PATH, LUA_CPATH   package.path / package.cpath for the service (";"-separated, "?")
--   LUA_SERVICE           where service files are found, e.g. "./service/?.lua;./examples/?/main.lua"
--   LUA_PRELOAD           optional file run before the service
-- and runs loader.lua with one argument, the launch string "name arg1 arg2 ...".
--
-- It finds the service's file through the LUA_SERVICE patterns (the first that loads wins; if
-- none does, the error lists every attempt), sets SERVICE_NAME and SERVICE_PATH, sets up
-- package.path / cpath, runs LUA_PRELOAD, installs skynet.require as the global `require`, and
-- runs the service's main chunk with the remaining words as string arguments.
--
-- As Skynet, with these differences:
--   * The node's code cache only saves compiling: every load checks its file (its stat, or its
--     bytes while it was changed in the last seconds), so an edited file is picked up by the next
--     newservice / reload.
--   * package.cpath keeps the system's default entries after LUA_CPATH, so that system Lua C
--     modules (Debian's lua-cjson...) stay reachable. An empty LUA_PATH / LUA_CPATH leaves the
--     corresponding default in place instead of an empty search path.
--   * If the host provides skynet.profile and has not done it itself, coroutine.resume becomes
--     the profiling resume (Skynet's snlua does that in C before the loader), so that
--     profile.start/stop exclude the time a coroutine spends parked. coroutine.wrap is left as is.

local launch = ...
local args = {}
for word in string.gmatch(launch or "", "%S+") do
	args[#args + 1] = word
end

local service_name = args[1]
if not service_name then
	error("loader: empty launch string", 0)
end
SERVICE_NAME = service_name

do	-- profiling resume, as snlua installs it
	local ok, profile = pcall(require, "skynet.profile")
	if ok and type(profile) == "table" and type(profile.resume) == "function" then
		coroutine.resume = profile.resume	-- luacheck: ignore 122 (as snlua does)
	end
end

local function substitute(pattern, name)
	return (string.gsub(pattern, "%?", function() return name end))
end

local main, found_pattern
local attempts = {}
for pattern in string.gmatch(LUA_SERVICE or "", "[^;]+") do
	local chunk, err = loadfile(substitute(pattern, service_name))
	if chunk then
		main, found_pattern = chunk, pattern
		break
	end
	attempts[#attempts + 1] = err
end
if not main then
	if #attempts == 0 then
		error(string.format("cannot find service %s: LUA_SERVICE is empty", service_name), 0)
	end
	error(table.concat(attempts, "\n"), 0)
end

LUA_SERVICE = nil

local default_cpath = package.cpath
if type(LUA_PATH) == "string" and LUA_PATH ~= "" then
	package.path = LUA_PATH
end
if type(LUA_CPATH) == "string" and LUA_CPATH ~= "" then
	if default_cpath and default_cpath ~= "" and not LUA_CPATH:find(default_cpath, 1, true) then
		package.cpath = LUA_CPATH .. ";" .. default_cpath
	else
		package.cpath = LUA_CPATH
	end
end
LUA_PATH, LUA_CPATH = nil, nil

-- A pattern whose last part has no "?" (".../?/main.lua") gives the service a directory of its
-- own: that directory comes first in package.path. Otherwise SERVICE_PATH is the directory of
-- the pattern (".../service/").
local own_dir = string.match(found_pattern, "^(.*/)[^/?]+$")
if own_dir then
	own_dir = substitute(own_dir, service_name)
	package.path = own_dir .. "?.lua;" .. package.path
	SERVICE_PATH = own_dir
else
	SERVICE_PATH = string.match(found_pattern, "^(.*/).+$")
end

if LUA_PRELOAD then
	local preload_chunk, err = loadfile(LUA_PRELOAD)
	if not preload_chunk then
		error(err, 0)
	end
	preload_chunk(table.unpack(args))
	LUA_PRELOAD = nil
end

_G.require = (require "skynet.require").require

main(select(2, table.unpack(args)))
