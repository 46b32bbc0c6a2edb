-- lualib/hotfix.lua: reload Lua modules inside a running service.
--
--   local HotFix = require "hotfix"
--   local ok, mod_or_err = HotFix.reload("business_logic")
--   local reloaded, failed = HotFix.reload_pattern("^game%.")   -- names matching a Lua pattern
--   local reloaded, failed = HotFix.reload_dir("game.")         -- names starting with a prefix
--
-- As the classic version: clear package.loaded[name], require it again, report. Skyhost's
-- code cache checks the file on every load, so an edited file is picked up at once.
--
-- Where this differs from the classic version (docs/hot-updates.md), and why:
--   * A failed reload changes nothing. When the new code cannot be found, does not compile, or
--     raises while it loads, the old module goes back into package.loaded and keeps serving; the
--     failure is logged (skynet.error) and returned. The classic version left the module
--     unloaded, so the next `require` in the service would try (and fail) again.
--   * reload_pattern / reload_dir first collect the names, then reload them in sorted order: the
--     classic version re-required inside `pairs(package.loaded)`, and a module that requires a module not
--     loaded yet adds a key to the table being traversed, which Lua leaves undefined.
--   * They also return a second table, name -> error, of the modules that failed (the first is
--     the classic version's list of reloaded names).
--   * The runtime itself is never reloaded: "skynet", "skynet.*" (their state — sessions,
--     protocols, sockets — lives in the running copy, and a second copy would serve nothing) and
--     Lua's standard libraries. reload refuses them with a reason; reload_pattern and reload_dir
--     skip them, so that a broad pattern such as "." cannot break the service.
--
--   * Each successful reload is a patch on the service's patch stack (lualib/skynet/patch.lua):
--     `rollback ADDRESS` on the console puts the old module back. The module's version (the SHA-1
--     of its file) is what `versions` on the console shows.
--
-- A module's body should not yield (call another service) while it reloads: the service serves
-- other messages meanwhile, with the old module still in place.

local skynet = require "skynet"
local patch = require "skynet.patch"

local HotFix = {}

local STANDARD = {
	_G = true, package = true, coroutine = true, table = true, io = true, os = true,
	string = true, math = true, utf8 = true, debug = true,
}

-- Why `name` must not be reloaded, or nil.
local function refused(name)
	if type(name) ~= "string" or name == "" then
		return "a module name is needed"
	end
	if STANDARD[name] then
		return name .. " is a standard library"
	end
	if name == "skynet" or name:sub(1, 7) == "skynet." then
		return name .. " is part of the skynet runtime and cannot be reloaded in a running service"
	end
end

-- 重新加载模块
-- (operator: who asked, for the service's patch stack; the updater passes it to _reload_module)
function HotFix.reload(module_name, operator)
	local why = refused(module_name)
	if why then
		skynet.error("模块重载失败:", tostring(module_name), why)
		return false, why
	end

	local old = package.loaded[module_name]
	local old_version = patch.version_of(module_name)
	-- 清除 package.loaded 缓存
	package.loaded[module_name] = nil

	-- 重新 require
	local ok, mod = pcall(require, module_name)
	if not ok then
		-- The old module (if any) keeps serving, and keeps its version.
		package.loaded[module_name] = old
		patch.set_version(module_name, old_version)
		skynet.error("模块重载失败:", module_name, mod)
		return false, mod
	end

	-- A patch on the service's stack, so that it can be rolled back (lualib/skynet/patch.lua).
	patch.push {
		kind = "reload", name = module_name, module = module_name, old = old, new = mod,
		old_version = old_version, checksum = patch.version_of(module_name),
		operator = type(operator) == "string" and operator or "anonymous",
	}
	return true, mod
end

-- Reloads every loaded module whose name satisfies `match`; returns the reloaded names and a
-- table name -> error of the failures.
local function reload_where(match)
	local names = {}
	for name in pairs(package.loaded) do
		if type(name) == "string" and match(name) and not refused(name) then
			names[#names + 1] = name
		end
	end
	table.sort(names)
	local reloaded, failed = {}, {}
	for _, name in ipairs(names) do
		local ok, err = HotFix.reload(name)
		if ok then
			reloaded[#reloaded + 1] = name
		else
			failed[name] = err
		end
	end
	return reloaded, failed
end

-- 重载所有匹配的模块
function HotFix.reload_pattern(pattern)
	return reload_where(function(name)
		return string.match(name, pattern) ~= nil
	end)
end

-- 重载指定目录下的所有模块
function HotFix.reload_dir(dir)
	return reload_where(function(name)
		return string.sub(name, 1, #dir) == dir
	end)
end

return HotFix
