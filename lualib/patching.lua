-- lualib/patching.lua: patch operations over many services, shared by the debug console and the
-- updater. Each service keeps its own patch stack (lualib/skynet/patch.lua); this
-- module asks them through the debug protocol.
--
--   Patching.broadcast(script, source, filename, meta, rollback_on_failure, args)
--       -> ok, lines, id       inject into every service started as `snlua SCRIPT ...`
--   Patching.rollback(handle, count, meta) -> ok, lines
--   Patching.reload(handle, meta)          -> ok, lines     reload one service in place
--   Patching.reload_all(script, meta, rollback_on_failure) -> ok, lines, n     every service started
--       as `snlua SCRIPT ...` (n reloaded and left so); with rollback_on_failure, if one fails
--       the others go back
--   Patching.rollback_broadcast(id)        -> ok, lines     every service patched by broadcast id
--   Patching.patches(handle[, list])       -> lines          the patch stack of one service (list:
--       its debug PATCHES answer, when the caller asked for it itself)
--   Patching.versions([module])            -> lines          which services run which version
--   Patching.ask_all(handles, protocol, timeout, ...) -> outcome     one request to many services
--       (also the updater's: handle -> table.pack(answer), Patching.FAILED or Patching.GONE; no
--       entry for a service that did not answer within `timeout` centiseconds)
--
-- `lines` are for an operator (the console prints them; the updater returns them); `ok` is false
-- when anything asked for was not done.

local skynet = require "skynet"

local TIMEOUT = 500	-- centiseconds a service may take to answer
local Patching = {}

-- The handles of the running Lua services, in address order, this service excepted; only
-- those started from `script` (`snlua SCRIPT ...`) when it is given.
local function lua_services(script)
	local list = skynet.call(".launcher", "lua", "LIST")
	local self, handles = skynet.self(), {}
	for addr, desc in pairs(list) do
		local handle = tonumber(addr:sub(2), 16)
		if handle and handle ~= self and desc:sub(1, 6) == "snlua "
			and (script == nil or desc:match("^snlua%s+(%S+)") == script) then
			handles[#handles + 1] = handle
		end
	end
	table.sort(handles)
	return handles
end

-- What ask_all gives for a service whose call failed (no such handler, it raised, or it exited
-- while asked), and for one that was not running.
Patching.FAILED = "the call failed"
Patching.GONE = "exited"

-- Sends `...` with `protocol` to every handle at once (skynet.request) and waits at most `timeout`
-- centiseconds. Returns handle -> table.pack(answer), Patching.FAILED or Patching.GONE; a handle
-- without an entry did not answer in time (it will still read the message when it gets to it).
function Patching.ask_all(handles, protocol, timeout, ...)
	local outcome = {}
	local n = #handles
	if n == 0 then
		return outcome
	end
	local req = skynet.request()
	for i = 1, n do
		req:add({ handles[i], protocol, ... })
	end
	local FAILED, GONE = Patching.FAILED, Patching.GONE
	for r, resp in req:select(timeout) do
		if resp then
			outcome[r[1]] = resp
		elseif resp == false then
			outcome[r[1]] = FAILED
		else
			outcome[r[1]] = GONE
		end
	end
	return outcome
end

-- What a service that did not answer within `timeout` centiseconds is reported with.
local function no_answer(timeout)
	return string.format("no answer within %g s", timeout / 100)
end

-- The debug command to every handle at once, waiting at most `timeout` centiseconds;
-- handle -> table.pack(answer) or a reason.
local function ask_all(handles, timeout, ...)
	local outcome = Patching.ask_all(handles, "debug", timeout, ...)
	for _, handle in ipairs(handles) do
		if outcome[handle] == nil then
			outcome[handle] = no_answer(timeout)
		end
	end
	return outcome
end

-- Why a service's outcome (from ask_all) is not a success: the answer's second value, or the
-- reason ask_all gave.
local function reason_of(o)
	return type(o) == "table" and tostring(o[2]) or tostring(o)
end

local broadcasts = 0

-- A node-wide unique id for a broadcast: "b<n><address of the service that made it>".
local function new_broadcast_id()
	broadcasts = broadcasts + 1
	return string.format("b%d%s", broadcasts, skynet.address(skynet.self()))
end

-- The rollback of broadcast `id` in the given handles; returns ok, lines.
local function rollback_in(handles, id)
	local outcome = ask_all(handles, TIMEOUT, "ROLLBACK_BROADCAST", id)
	local ok, lines = true, {}
	for _, handle in ipairs(handles) do
		local o = outcome[handle]
		if type(o) == "table" and o[1] then
			lines[#lines + 1] = string.format("%s %s", skynet.address(handle), table.concat(o[1], "; "))
		else
			ok = false
			lines[#lines + 1] = string.format("%s rollback FAILED: %s", skynet.address(handle), reason_of(o))
		end
	end
	return ok, lines
end

function Patching.broadcast(script, source, filename, meta, rollback_on_failure, args)
	local handles = lua_services(script)
	if #handles == 0 then
		return false, { string.format("no running service was started from %s", script) }
	end
	local id = new_broadcast_id()
	meta = { operator = meta.operator, broadcast = id }
	args = args or { n = 0 }
	local outcome = Patching.ask_all(handles, "debug", TIMEOUT, "INJECT", meta, source, filename,
		table.unpack(args, 1, args.n))
	local lines, applied, failed = {}, {}, 0
	for _, handle in ipairs(handles) do
		local o = outcome[handle]
		if type(o) == "table" and o[1] then
			local result = o[3] or {}
			if result.id then
				applied[#applied + 1] = handle
				lines[#lines + 1] = string.format("%s ok: patch #%d (%s)", skynet.address(handle), result.id, result.summary)
			else
				lines[#lines + 1] = string.format("%s ok: no change", skynet.address(handle))
			end
		else
			failed = failed + 1
			local why = o == nil and no_answer(TIMEOUT) or type(o) == "table" and tostring(o[2]) or o
			lines[#lines + 1] = string.format("%s FAILED: %s", skynet.address(handle), (why:gsub("\n", " | ")))
			if o == nil then	-- no answer yet: it may apply it later
				applied[#applied + 1] = handle
			end
		end
	end
	table.insert(lines, 1, string.format("broadcast %s: %s into %d service%s started from %s: %d applied, %d failed",
		id, filename, #handles, #handles == 1 and "" or "s", script, #handles - failed, failed))
	if failed > 0 and rollback_on_failure and #applied > 0 then
		local rolled_ok, rolled = rollback_in(applied, id)
		lines[#lines + 1] = "rolling back broadcast " .. id .. " (one service failed):"
		for _, line in ipairs(rolled) do
			lines[#lines + 1] = line
		end
		if not rolled_ok then
			lines[#lines + 1] = "rollback incomplete"
		end
	end
	skynet.error(table.concat(lines, "\n"))
	return failed == 0, lines, id
end

function Patching.rollback_broadcast(id)
	local handles = lua_services()
	local outcome = ask_all(handles, TIMEOUT, "PATCHES")
	local patched = {}
	for _, handle in ipairs(handles) do
		local o = outcome[handle]
		if type(o) == "table" and type(o[1]) == "table" then
			for _, p in ipairs(o[1]) do
				if p.broadcast == id then
					patched[#patched + 1] = handle
					break
				end
			end
		end
	end
	if #patched == 0 then
		return false, { "no running service has a patch of broadcast " .. tostring(id) }
	end
	return rollback_in(patched, id)
end

function Patching.rollback(handle, count, meta)
	local lines, err = skynet.call(handle, "debug", "ROLLBACK", count, meta)
	if lines == true then	-- a reload in place rolled back: the runtime's report
		return true, { err }
	elseif not lines then
		return false, { tostring(err) }
	end
	return true, lines
end

-- The centiseconds a reload may take: its drain and its new state's start, each up to the
-- node's reload_timeout (seconds, default 5), and a second more.
local function reload_time()
	return math.ceil(((tonumber(skynet.getenv "reload_timeout") or 5) * 2 + 1) * 100)
end

function Patching.reload(handle, meta)
	local ok, report = skynet.call(handle, "debug", "RELOAD", meta)
	return ok, { report }
end

function Patching.reload_all(script, meta, rollback_on_failure)
	local handles = lua_services(script)
	if #handles == 0 then
		return false, { string.format("no running service was started from %s", script) }
	end
	local outcome = ask_all(handles, reload_time(), "RELOAD", meta)
	local lines, reloaded, failed = {}, {}, 0
	for _, handle in ipairs(handles) do
		local o = outcome[handle]
		if type(o) == "table" and o[1] then
			reloaded[#reloaded + 1] = handle
			lines[#lines + 1] = string.format("%s ok: %s", skynet.address(handle), tostring(o[2]))
		else
			failed = failed + 1
			lines[#lines + 1] = string.format("%s FAILED: %s", skynet.address(handle), reason_of(o))
		end
	end
	table.insert(lines, 1, string.format("reloadall %s: %d services, %d reloaded, %d failed", script, #handles,
		#reloaded, failed))
	if failed > 0 and rollback_on_failure and #reloaded > 0 then
		local undo = ask_all(reloaded, reload_time(), "ROLLBACK", 1, meta)
		for _, handle in ipairs(reloaded) do
			local o = undo[handle]
			if type(o) == "table" and o[1] == true then
				lines[#lines + 1] = string.format("%s %s", skynet.address(handle), tostring(o[2]))
			else
				lines[#lines + 1] = string.format("%s rollback FAILED: %s", skynet.address(handle), reason_of(o))
			end
		end
	end
	return failed == 0, lines, (failed > 0 and rollback_on_failure) and 0 or #reloaded
end

local function format_time(t)
	return os.date("%Y-%m-%d %H:%M:%S", t)
end

function Patching.patches(handle, list)
	list = list or skynet.call(handle, "debug", "PATCHES")
	if #list == 0 then
		return { skynet.address(handle) .. " runs no patch" }
	end
	local lines = {}
	for _, p in ipairs(list) do
		lines[#lines + 1] = string.format("#%d %s %s sha1:%s %s by %s: %s%s", p.id, p.kind, p.name,
			tostring(p.checksum):sub(1, 12), format_time(p.time), tostring(p.operator), tostring(p.summary),
			p.broadcast and (" (broadcast " .. p.broadcast .. ")") or "")
	end
	return lines
end

function Patching.versions(module)
	local handles = lua_services()
	local outcome = ask_all(handles, TIMEOUT, "VERSIONS")
	local by_module = {}	-- module -> checksum -> { addresses }
	for _, handle in ipairs(handles) do
		local o = outcome[handle]
		if type(o) == "table" and type(o[1]) == "table" then
			for name, checksum in pairs(o[1]) do
				if module == nil or name == module then
					local versions = by_module[name] or {}
					by_module[name] = versions
					local addrs = versions[checksum] or {}
					versions[checksum] = addrs
					addrs[#addrs + 1] = skynet.address(handle)
				end
			end
		end
	end
	local names = {}
	for name in pairs(by_module) do
		names[#names + 1] = name
	end
	table.sort(names)
	if #names == 0 then
		return { module and ("no running service has loaded " .. module) or "no service has loaded a module" }
	end
	local lines = {}
	for _, name in ipairs(names) do
		local checksums = {}
		for checksum in pairs(by_module[name]) do
			checksums[#checksums + 1] = checksum
		end
		table.sort(checksums)
		for _, checksum in ipairs(checksums) do
			local addrs = by_module[name][checksum]
			lines[#lines + 1] = string.format("%s sha1:%s %d service%s: %s", name, checksum:sub(1, 12), #addrs,
				#addrs == 1 and "" or "s", table.concat(addrs, " "))
		end
	end
	return lines
end

return Patching
