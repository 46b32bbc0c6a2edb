-- service/updater.lua: the node's update service, registered as ".updater".
--
--   skynet.newservice("updater" [, timeout])    timeout: centiseconds a service may take to answer
--                                                (default: the `updater_timeout` config key, else 500)
--
-- Commands (the `lua` protocol; from the debug console: `call .updater lua update_service game_logic`):
--   update_service(name)  send `_hotfix` to every running instance of service `name`
--                         -> number updated, report
--   update_module(name)   send `_reload_module(name)` to every running Lua service
--                         -> { [":0000000a"] = { ok = bool, result = value }, ... }, report
--   run_script(path)      run a Lua file inside the updater -> true, result | false, reason
--   inject_all(script, path [, rollback_on_failure])  inject into every `snlua script` service
--                         -> ok, report lines, broadcast id      (lualib/patching.lua)
--   data_update(kind, name, path, ...)  replace the shared table `name` (kind sharedata, sharetable
--                         or datasheet) by the table the file at `path` returns -> ok, report line
--   rollback(address [, n])  undo the last n patches of a service -> ok, report lines
--   rollback_broadcast(id)   undo a broadcast in every service it patched -> ok, report lines
--   patches(address), versions([module])  -> true, lines (read only: no token needed)
-- `report` is one line for an operator: "OK: ..." when everything asked for was done, else
-- "FAILED: ..." with the reasons (scripts/hotfix.sh exits non-zero on it). Every outcome is also
-- logged, service by service for failures.
--
-- As the classic version (更新服务代码), corrected where its version would do nothing or hang:
--   * The launcher's LIST maps ":0000000a" to "snlua game_logic args...", so the classic version's
--     `name == service_name` never matched and update_service updated nothing. A service matches
--     when its launch line is "snlua NAME ..." (or is exactly NAME, the classic version's test). The
--     addresses are strings, so they are turned into handles before `%08x`.
--   * The services are asked all at once (skynet.request) with a time limit, instead of one
--     skynet.call after another without one: a busy service (a handler that runs for a long
--     time, or never answers) or a dead one is reported and does not hold up the others. A
--     service that answers after the limit still applies the update (the message is in its
--     mailbox); it is reported as not confirmed.
--   * The updater does not send `_reload_module` to itself, and only Lua (snlua) services are asked.
--   * Each command returns a report line after the classic version's value (see above). A service whose
--     hook answers `false` (or, for _hotfix, nothing) counts as failed, with the reason it gave; for
--     update_module only `true` counts as reloaded, and a service that answers anything else (an
--     error for an unknown command, service_mgr's `nil, "Invalid command"`) has no hook: it is
--     listed, and is not a failure.
--   * An unknown command answers `false, reason` instead of raising (the caller would only have
--     seen "call failed").
--   * run_script loads the file as "@path" (errors read "path:line:") in an environment of its
--     own (globals it sets do not leak into the updater). In it, `require "skynet"` gives a copy
--     of the API whose `start(f)` runs f at once, so that a migration script written as a
--     service (the classic version's scripts/migrate_user_v2.lua, which calls skynet.start) runs inside
--     run_script, its errors are reported to the caller, and it cannot re-start the updater;
--     `exit` raises instead of stopping the updater.
--
-- Every command enters through `dispatch` below, wrapped by UpdateAuth.protect (see
-- lualib/update_auth.lua): on a node with an update key, a command needs a valid token ("--token",
-- TOKEN at the end of its arguments), or it is refused with `false, reason`; every decision is
-- audited.

local skynet = require "skynet"
require "skynet.manager"	-- skynet.register on Skynet
local UpdateAuth = require "update_auth"
local Patching = require "patching"

local TIMEOUT = tonumber((...)) or tonumber(skynet.getenv("updater_timeout") or "") or 500
local REPORT_LIMIT = 10	-- services named in a report line; the log names them all

local CMD = {}

---------------------------------------------------------------------------------------------------
-- Helpers

local function handle_of(addr)
	if type(addr) == "number" then
		return addr
	end
	if type(addr) == "string" and addr:byte(1) == 58 then	-- ":0000000a"
		return tonumber(addr:sub(2), 16)
	end
end

-- The handle of a service named by an operator: an address or a local name (".game").
local function service_of(addr)
	return handle_of(addr) or skynet.localname(tostring(addr))
end

-- { [":0000000a"] = "snlua name args", ... } from the launcher.
local function running_services()
	local launcher = skynet.localname(".launcher")
	return skynet.call(launcher, "lua", "list")
end

-- The service name in a launcher description ("snlua game_logic 1 2" -> "game_logic").
local function service_name_of(desc)
	return tostring(desc):match("^snlua%s+(%S+)")
end

-- The whole of a file, or nil when it cannot be read.
local function read_file(path)
	local file = io.open(path, "rb")
	if not file then
		return nil
	end
	local text = file:read "a"
	file:close()
	return text
end

local function seconds(cs)
	return string.format("%g s", cs / 100)
end

-- Sends `...` with the lua protocol to every handle at once and waits at most TIMEOUT (the same
-- helper as the console's patch commands, lualib/patching.lua). Returns handle ->
-- table.pack(answer) | Patching.FAILED | Patching.GONE; no entry for a service that did not
-- answer in time.
local function ask_all(handles, ...)
	return Patching.ask_all(handles, "lua", TIMEOUT, ...)
end

-- What a report says of a service for which ask_all has no answer but a mark.
local REASON = {
	[Patching.FAILED] = "the call failed (no such handler, it raised, or the service exited)",
	[Patching.GONE] = "not running (it exited)",
}
local GONE = Patching.GONE

-- The reason for a service that did not answer in time.
local function late()
	return "no answer within " .. seconds(TIMEOUT) .. " (busy or hung; it will apply the update when it reads the message)"
end

-- One line: the reasons of `problems` ({ addr, reason } in address order), each once, with the
-- addresses it applies to (at most REPORT_LIMIT of them).
local function describe(problems)
	local order, by_reason = {}, {}
	for _, p in ipairs(problems) do
		local reason = tostring(p[2]):gsub("%s*\n%s*", " ")
		local addrs = by_reason[reason]
		if not addrs then
			addrs = {}
			by_reason[reason] = addrs
			order[#order + 1] = reason
		end
		addrs[#addrs + 1] = p[1]
	end
	local parts = {}
	for _, reason in ipairs(order) do
		local addrs = by_reason[reason]
		local shown = table.concat(addrs, " ", 1, math.min(#addrs, REPORT_LIMIT))
		if #addrs > REPORT_LIMIT then
			shown = shown .. string.format(" and %d more", #addrs - REPORT_LIMIT)
		end
		parts[#parts + 1] = shown .. ": " .. reason
	end
	return table.concat(parts, "; ")
end

---------------------------------------------------------------------------------------------------
-- Commands

-- 更新指定服务的代码
function CMD.update_service(service_name)
	if type(service_name) ~= "string" or service_name == "" then
		return 0, "FAILED: update_service needs a service name"
	end
	skynet.error("开始更新服务:", service_name)

	-- 查找所有运行该服务代码的实例
	local services = running_services()
	local targets = {}
	for addr, desc in pairs(services) do
		local handle = handle_of(addr)
		if handle and (desc == service_name or service_name_of(desc) == service_name) then
			targets[#targets + 1] = handle
		end
	end
	table.sort(targets)
	if #targets == 0 then
		local report = "FAILED: update_service " .. service_name .. ": no running service is named " .. service_name
		skynet.error(report)
		return 0, report
	end

	-- 通知服务重载
	-- (an argument the classic version's _hotfix ignores: who asked, for the template's patch stack)
	local outcome = ask_all(targets, "_hotfix", UpdateAuth.operator())
	local updated = 0
	local problems = {}
	local failed = 0
	for _, handle in ipairs(targets) do
		local o = outcome[handle]
		local err
		if o == nil then
			err = late()
		elseif type(o) == "string" then
			err = REASON[o]
		elseif not o[1] then
			err = "_hotfix failed: " .. tostring(o[2] or "(no reason given; see the service's log)")
		end
		if err then
			skynet.error(string.format("服务 :%08x 更新失败: %s", handle, err))
			problems[#problems + 1] = { skynet.address(handle), err }
			if o ~= GONE then
				failed = failed + 1
			end
		else
			updated = updated + 1
			skynet.error(string.format("服务 :%08x 更新成功", handle))
		end
	end

	local report = string.format("update_service %s: %d of %d updated", service_name, updated, #targets)
	if #problems > 0 then
		report = report .. "; " .. describe(problems)
	end
	report = (failed == 0 and "OK: " or "FAILED: ") .. report
	skynet.error(report)
	return updated, report
end

-- 更新指定 Lua 模块
-- (The work here is done once per service: for a thousand services it is a measurable part of an
-- update, see Benchmarks/README.md. So the launcher's address strings are kept rather than formatted
-- again, only the services with a problem are sorted, and one table stands for every success.)
local RELOADED = { ok = true, result = true }	-- only ever packed into the reply, never changed

-- `list` ({ handle, address, ... } entries) sorted in address order.
local function in_order(list)
	table.sort(list, function(a, b) return a[1] < b[1] end)
	return list
end

function CMD.update_module(module_name)
	if type(module_name) ~= "string" or module_name == "" then
		return {}, "FAILED: update_module needs a module name"
	end
	-- 广播给所有服务重新加载模块
	local services = running_services()
	local self = skynet.self()
	local targets, address_of = {}, {}
	for addr, desc in pairs(services) do
		if desc:sub(1, 6) == "snlua " then
			local handle = handle_of(addr)
			if handle and handle ~= self then
				targets[#targets + 1] = handle
				address_of[handle] = addr
			end
		end
	end

	-- (the second argument is for the services' patch stacks: lualib/hotfix.lua's
	-- HotFix.reload(name, operator))
	local outcome = ask_all(targets, "_reload_module", module_name, UpdateAuth.operator())
	local results = {}
	local reloaded, failures, unsupported, gone = 0, {}, {}, 0
	for i = 1, #targets do
		local handle = targets[i]
		local o = outcome[handle]
		local addr = address_of[handle]
		if type(o) == "table" then
			local ok = o[1]
			if ok == true then
				reloaded = reloaded + 1
				results[addr] = RELOADED
			elseif ok == false then
				local why = tostring(o[2] or "(no reason given; see the service's log)")
				results[addr] = { ok = true, result = false, error = why }
				failures[#failures + 1] = { handle, addr, "reload failed: " .. why }
			else	-- answered, but not as a _reload_module hook does (e.g. "Invalid command")
				results[addr] = { ok = true, result = ok }
				unsupported[#unsupported + 1] = { handle, addr }
			end
		else
			local why = REASON[o] or late()
			results[addr] = { ok = false, result = why }
			if o == nil then
				failures[#failures + 1] = { handle, addr, why }
			elseif o == GONE then
				gone = gone + 1
			else
				unsupported[#unsupported + 1] = { handle, addr }
			end
		end
	end

	local problems = {}
	for i, f in ipairs(in_order(failures)) do
		skynet.error("模块更新失败:", module_name, f[2], f[3])
		problems[i] = { f[2], f[3] }
	end
	local report = string.format("update_module %s: reloaded in %d of %d services", module_name, reloaded, #targets)
	if #failures > 0 then
		report = report .. string.format("; failed in %d: %s", #failures, describe(problems))
	end
	if #unsupported > 0 then
		report = report .. string.format("; %d without a _reload_module handler", #unsupported)
		local named = {}
		for i, u in ipairs(in_order(unsupported)) do
			named[i] = u[2] .. " (" .. tostring(services[u[2]]) .. ")"
		end
		skynet.error("模块更新: 没有 _reload_module 的服务:", table.concat(named, " "))
	end
	if gone > 0 then
		report = report .. string.format("; %d exited", gone)
	end
	local ok = #failures == 0 and reloaded > 0
	if reloaded == 0 and #failures == 0 then
		report = report .. " (no service could reload it)"
	end
	report = (ok and "OK: " or "FAILED: ") .. report
	skynet.error(report)
	return results, report
end

-- The environment a script runs in (see the header).
local function script_env()
	local api = setmetatable({}, { __index = skynet })
	function api.start(f)
		return f()
	end
	function api.exit()
		error("an update script runs inside the updater: skynet.exit would stop the updater", 2)
	end
	local env = setmetatable({}, { __index = _G })
	env._G = env
	env.require = function(name)
		if name == "skynet" then
			return api
		end
		return require(name)
	end
	return env
end

-- 执行更新脚本
function CMD.run_script(script_path)
	if type(script_path) ~= "string" or script_path == "" then
		return false, "无法打开脚本文件: no path given"
	end
	local file = io.open(script_path, "r")
	if not file then
		return false, "无法打开脚本文件: " .. script_path
	end

	local script = file:read("*a")
	file:close()

	local chunk, err = load(script, "@" .. script_path, "t", script_env())
	if not chunk then
		skynet.error("脚本编译失败:", err)
		return false, "脚本编译失败: " .. err
	end

	-- A migrate_* script is run once: migration.guard checks the database record first and
	-- records the outcome (other scripts are plain pcall(chunk)); see lualib/migration.lua.
	local ok, result = require("migration").guard(script_path, script, pcall, chunk)
	if not ok then
		skynet.error("脚本执行失败:", script_path, result)
		return false, "脚本执行失败: " .. tostring(result)
	end

	skynet.error("脚本执行完成:", script_path)
	return true, result
end

---------------------------------------------------------------------------------------------------
-- Patches, rollback, broadcast (lualib/patching.lua). Each returns ok, report lines.

-- inject_all(script, path [, rollback_on_failure, args...]): inject the hotfix file into every
-- service started from `script`; with rollback_on_failure, one failure rolls all of them back.
function CMD.inject_all(script, path, rollback_on_failure, ...)
	if type(script) ~= "string" or type(path) ~= "string" then
		return false, { "inject_all needs a service script name and a hotfix file" }
	end
	local source = read_file(path)
	if not source then
		return false, { "can't open " .. path }
	end
	local ok, lines, id = Patching.broadcast(script, source, path,
		{ operator = UpdateAuth.operator() }, rollback_on_failure == true or rollback_on_failure == "rollback",
		table.pack(...))
	return ok, lines, id
end

-- reload_service(name [, "rollback"]): reload in place (a new Lua state started from the files
-- on disk, at the same address, with the state on_reload hands over) the service `name`, an
-- address or a ".name"; or, for a script name, every service started from it, all or none with
-- "rollback". -> the number reloaded, "OK: ..." or "FAILED: ..." (as update_service)
function CMD.reload_service(name, rollback)
	if type(name) ~= "string" or name == "" then
		return 0, "FAILED: reload_service needs a service name"
	end
	local meta = { operator = UpdateAuth.operator() }
	local ok, lines, reloaded
	if name:match("^[:.]") then
		local handle = service_of(name)
		if not handle then
			ok, lines = false, { "no running service is named " .. name }
		else
			local called, done, report = pcall(Patching.reload, handle, meta)
			ok, lines = called and done, called and report or { tostring(done) }
		end
		reloaded = ok and 1 or 0
	else
		ok, lines, reloaded = Patching.reload_all(name, meta, rollback == "rollback" or rollback == true)
	end
	local report = string.format("%sreload_service %s: %s", ok and "OK: " or "FAILED: ", name,
		(table.concat(lines, "; "):gsub("%s*\n%s*", " ")))
	skynet.error(report)
	return reloaded, report
end

-- snax_hotfix(address, path, ...): patch the methods of a snax service with the file at `path`
-- (snax.hotfix, all or nothing; a patch on its stack). -> true, what the patch's hotfix returns
-- | false, { reason }
function CMD.snax_hotfix(addr, path, ...)
	local handle = service_of(addr)
	if not handle or type(path) ~= "string" then
		return false, { "snax_hotfix needs a snax service's address and a patch file" }
	end
	local source = read_file(path)
	if not source then
		return false, { "can't open " .. path }
	end
	local result = table.pack(pcall(skynet.call, handle, "debug", "SNAX_HOTFIX",
		{ operator = UpdateAuth.operator() }, source, ...))
	if not result[1] then
		return false, { tostring(result[2]) }
	elseif not result[2] then
		return false, { tostring(result[3]) }
	end
	return table.unpack(result, 2, result.n)
end

-- data_update(kind, name, path, ...): replace a shared table by the one the file at `path` returns
-- (run with `...`); a patch on the stack of the service that keeps it. -> true, line | false, { reason }
function CMD.data_update(kind, name, path, ...)
	if type(name) ~= "string" or type(path) ~= "string" then
		return false, { "data_update needs a kind (sharedata, sharetable, datasheet), a name and a data file" }
	end
	local handle, reason = require("skynet.frozen_store").locate(kind)
	if not handle then
		return false, { reason }
	end
	local source = read_file(path)
	if not source then
		return false, { "can't open " .. path }
	end
	local ok, applied, line = pcall(skynet.call, handle, "debug", "DATA_UPDATE", { operator = UpdateAuth.operator() },
		name, source, ...)
	if not ok or not applied then
		return false, { tostring(ok and line or applied) }
	end
	return true, line
end

-- rollback(address [, count]): undo the last `count` patches of one service.
function CMD.rollback(addr, count)
	local handle = service_of(addr)
	if not handle then
		return false, { "rollback needs a service address" }
	end
	local ok, done, lines = pcall(Patching.rollback, handle, count, { operator = UpdateAuth.operator() })
	if not ok then
		return false, { tostring(done) }
	end
	return done, lines
end

-- rollback_broadcast(id): undo broadcast `id` in every service it patched.
function CMD.rollback_broadcast(id)
	return Patching.rollback_broadcast(id)
end

-- patches(address) -> true, lines; versions([module]) -> true, lines  (no token needed)
function CMD.patches(addr)
	local handle = service_of(addr)
	local ok, lines = pcall(Patching.patches, handle)
	return ok, ok and lines or { "unknown address " .. tostring(addr) }
end

function CMD.versions(module)
	return true, Patching.versions(module)
end

---------------------------------------------------------------------------------------------------

-- The single entry point of every command.
local function dispatch(session, source, cmd, ...)
	local f = CMD[cmd]
	if not f then
		local reason = "unknown updater command " .. tostring(cmd) .. " (update_service, update_module, " ..
			"run_script, inject_all, reload_service, snax_hotfix, data_update, rollback, rollback_broadcast, patches, versions)"
		if session ~= 0 then
			skynet.retpack(false, reason)
		end
		return
	end
	if session ~= 0 then
		skynet.retpack(f(...))
	else
		f(...)
	end
end

skynet.start(function()
	skynet.register(".updater")
	-- Update authorisation: on a node with an update key (config update_key, or
	-- SKYHOST_UPDATE_KEY) every command needs a token as its last two arguments,
	-- ..., "--token", "OPERATOR:TIMESTAMP:SIGNATURE" (the console adds them from the line's own
	-- `--token TOKEN`); without one it answers false, reason and does nothing. Accepted and
	-- refused commands go to the audit log. Without a key, commands run unchecked.
	UpdateAuth.announce()
	skynet.dispatch("lua", UpdateAuth.protect("updater", dispatch, { patches = true, versions = true }))
end)
