-- snaxd: runs a snax service, `skynet.newservice("snaxd", NAME)` (lualib/skynet/snax.lua starts
-- it and sends `init`). The file NAME, found through the config key `snax`, becomes this
-- service's code (lualib/snax/interface.lua); its folder NAME/ comes first in package.path.
--
-- Messages of the protocol "snax" carry a method id and its arguments: accept methods get no
-- answer, response methods answer what they return; an error in either is logged and (for a
-- response) fails the caller. System ids: init(...) (once, before any method), exit(...) (then
-- the service exits), hotfix(source, ...) -> true, results | false, error (lualib/snax/hotfix.lua,
-- all or nothing), profile -> { [method] = { count, time } } (also the debug INFO answer).
-- snax.enablecluster() makes the "lua" protocol dispatch the same way.
--
-- A hotfix is a patch like an inject: on the patch stack (`patches`), logged, and undone by
-- `rollback` (the methods it replaced come back). The console and the updater send it as the
-- debug command SNAX_HOTFIX meta source ... so that the patch records their operator.

local skynet = require "skynet"
local interface = require "snax.interface"
local profile = require "skynet.profile"
local snax = require "skynet.snax"

local name = tostring(...)
local loader_path = skynet.getenv "snax_loader"
local loader = loader_path and assert(dofile(loader_path))
local funcs, pattern = interface(name, _ENV, loader)
local folder = pattern:sub(1, pattern:find("?", 1, true) - 1) .. name .. "/"
package.path = folder .. "?.lua;" .. package.path

SERVICE_NAME = name
SERVICE_PATH = folder

local stats = {}	-- method name -> { count = n, time = seconds }

local function account(method, seconds)
	local s = stats[method]
	if s == nil then
		s = { count = 0, time = 0 }
		stats[method] = s
	end
	s.count = s.count + 1
	s.time = s.time + seconds
end

local function answer(f, ...)
	return skynet.ret(skynet.pack(f(...)))
end

-- Runs a method, timed with skynet.profile (time a coroutine spends suspended is not counted).
local function run(desc, ...)
	profile.start()
	local ok, err
	if desc[2] == "accept" then
		ok, err = xpcall(desc[4], debug.traceback, ...)
	else
		ok, err = xpcall(answer, debug.traceback, desc[4], ...)
	end
	account(desc[3], profile.stop())
	assert(ok, err)
end

-- Patches the methods; on success the patch goes on the stack. -> true, results | false, error
local function hotfix(meta, source, ...)
	local result = table.pack(require("snax.hotfix").apply(funcs, source, ...))
	if not result[1] then
		return false, result[2]
	end
	local undo, count = result[2], result[3]
	local crypt = require "skynet.crypt"
	local operator = meta.operator or "anonymous"
	local id = require("skynet.patch").push {
		kind = "snax_hotfix", name = name, checksum = crypt.hexencode(crypt.sha1(source)), operator = operator,
		summary = string.format("%d method%s", count, count == 1 and "" or "s"),
		undo = function()
			undo()
			return string.format("%d method%s restored", count, count == 1 and "" or "s")
		end,
	}
	skynet.error(string.format("patch #%d applied: snax hotfix of %s by %s (%d method%s)", id, name, operator,
		count, count == 1 and "" or "s"))
	return true, table.unpack(result, 4, result.n)
end

require("skynet.debug").reg_debugcmd("SNAX_HOTFIX", function(meta, source, ...)
	skynet.ret(skynet.pack(hotfix(type(meta) == "table" and meta or {}, source, ...)))
end)

skynet.start(function()
	local started = false
	local function dispatch(_, _, id, ...)
		local desc = funcs[id]
		if desc == nil then
			error(string.format("snax %s has no method %s", name, tostring(id)))
		end
		if desc[2] ~= "system" then
			assert(started, "Init first")
			return run(desc, ...)
		end
		local command = desc[3]
		if command == "hotfix" then
			skynet.ret(skynet.pack(hotfix({}, ...)))
		elseif command == "profile" then
			skynet.ret(skynet.pack(stats))
		elseif command == "init" then
			assert(not started, "Already init")
			if desc[4] then
				desc[4](...)
			end
			skynet.ret()
			skynet.info_func(function() return stats end)
			started = true
		else	-- exit
			assert(started, "Never init")
			if desc[4] then
				desc[4](...)
			end
			skynet.ret()
			started = false
			skynet.exit()
		end
	end
	skynet.dispatch("snax", dispatch)

	function snax.enablecluster()
		skynet.dispatch("lua", dispatch)
	end
end)
