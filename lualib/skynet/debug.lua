-- skynet.debug: the `debug` protocol (id 9) that every Lua service answers. skynet.lua registers
-- the protocol with a small stub; the first debug message loads this module and calls
--   require("skynet.debug").init(skynet, internals) -> dispatch
-- whose result replaces the stub. `internals` is skynet.lua's table of internals: this module
-- reads its info_func (set by skynet.info_func) and hands it to inject (RUN), whose _U takes the
-- state tables from it. Services may add commands with
-- reg_debugcmd(name, fn) at any time, before or after the first debug message.
--
-- Commands (arguments and replies are skynet.pack'ed):
--   MEM              -> KB used by this service's Lua state (collectgarbage "count")
--   GC               full collection, logged as "GC <before> Kb -> <after> Kb, cost <s> sec"; no reply
--   STAT             -> { task = n, mqlen = n, cpu = seconds, message = n }
--   TASK [session]   -> { ["<co> session: N"] = traceback, ... } or the traceback of one session
--   UNIQTASK         -> { ["<count>\tsessions:[...]\n"] = traceback, ... }
--   INFO ...         -> whatever skynet.info_func's function returns (nil without one)
--   EXIT             the service exits
--   RUN source filename args... -> ok, output   (inject: see lualib/skynet/inject.lua)
--   INJECT meta source filename args... -> ok, output, { id, summary }   RUN with an operator
--   PATCHES / ROLLBACK [n [meta]] / ROLLBACK_BROADCAST id / VERSIONS / CHECK source filename
--                    the patch stack and module versions (lualib/skynet/patch.lua, inject_check.lua)
--   RELOAD meta      -> ok, report: start again from the files on disk, in a new state at the
--                    same address (lualib/skynet/api/reload.lua)
--   TERM addr        as if `addr` had exited (its pending calls fail)
--   SUPPORT proto    -> whether the service has a dispatch function for `proto`
--   PING             -> empty reply
--   LINK             never answered while the service lives; the caller's call fails when it exits
--   TRACELOG [proto] flag   turn trace logging of `proto` (default "lua") on/off
--   KILLTASK name    kill a coroutine (skynet.killthread); -> nothing, or "Not found"
-- As Skynet 1.8, with deliberate differences in RUN (all or nothing, no forced collection: see
-- there) and the patch commands added. REMOTEDEBUG is not provided.

-- Names as in Skynet (dbgcmd, extern_dbgcmd): a hotfix finds them as _P.debug.dbgcmd / _P.debug.extern_dbgcmd.
local extern_dbgcmd = {}	-- name -> fn, from reg_debugcmd; shared by the whole service

local c = require "skynet.core"

local function init(skynet, internals)
	local function reply(...)
		return skynet.ret(c.pack(...))
	end

	local function build_commands()
		local cmd = {}

		function cmd.MEM()
			reply(collectgarbage "count")
		end

		local collecting = false
		function cmd.GC()
			if collecting then
				return
			end
			collecting = true
			local before, started = collectgarbage "count", skynet.now()
			collectgarbage "collect"
			-- Let other messages (e.g. a second GC request already queued) through first.
			skynet.yield()
			local after, finished = collectgarbage "count", skynet.now()
			skynet.error(string.format("GC %.2f Kb -> %.2f Kb, cost %.2f sec",
				before, after, (finished - started) / 100))
			collecting = false
		end

		function cmd.STAT()
			reply {
				task = skynet.task(),
				mqlen = skynet.stat "mqlen",
				cpu = skynet.stat "cpu",
				message = skynet.stat "message",
			}
		end

		function cmd.KILLTASK(name)
			local co = skynet.killthread(name)
			if co then
				skynet.error(string.format("Kill %s", tostring(co)))
				skynet.ret()
			else
				skynet.error(string.format("Kill %s : Not found", tostring(name)))
				reply "Not found"
			end
		end

		function cmd.TASK(session)
			if session then
				reply(skynet.task(session))
			else
				local all = {}
				skynet.task(all)
				reply(all)
			end
		end

		function cmd.UNIQTASK()
			reply(skynet.uniqtask())
		end

		function cmd.INFO(...)
			local info_func = internals.info_func
			if info_func then
				reply(info_func(...))
			else
				reply(nil)
			end
		end

		function cmd.EXIT()
			skynet.exit()
		end

		-- The handlers a module reload's rollback rebinds: every protocol's dispatch function.
		local function handler_roots()
			local roots = { skynet.dispatch_message, skynet.register_protocol }
			for _, class in pairs(internals.proto) do
				if type(class) == "table" and type(class.dispatch) == "function" then
					roots[#roots + 1] = class.dispatch
				end
			end
			return roots
		end

		-- Runs a hotfix all or nothing and puts it on the patch stack when it changed something.
		-- meta: operator, broadcast (id).
		local function inject(meta, source, filename, ...)
			local apply = require("skynet.inject").apply
			local ok, output, result = apply(skynet, source, filename, table.pack(...), internals,
				skynet.dispatch_message, skynet.register_protocol)
			if ok and #result.changes > 0 then
				local patch = require "skynet.patch"
				local crypt = require "skynet.crypt"
				result.id = patch.push {
					kind = "inject", name = tostring(filename), changes = result.changes,
					checksum = crypt.hexencode(crypt.sha1(source)), summary = result.summary,
					operator = meta.operator or "anonymous", broadcast = meta.broadcast,
				}
				skynet.error(string.format("patch #%d applied: inject %s by %s (%s)", result.id,
					tostring(filename), meta.operator or "anonymous", result.summary))
			end
			result.changes = nil
			return ok, table.concat(output, "\n"), result
		end

		-- As Skynet's RUN (ok, output), all or nothing (see lualib/skynet/inject.lua).
		function cmd.RUN(source, filename, ...)
			local ok, output = inject({ operator = "anonymous" }, source, filename, ...)
			reply(ok, output)
			-- Deliberate difference from Skynet, which runs collectgarbage "collect" here: a full
			-- collection costs time in proportion to the service's whole heap (over 100 ms for a
			-- few million live tables), so injects into a big service would be slow and stall its
			-- messages. The garbage of an inject (a compiled chunk, a few small tables) is tiny and
			-- the ordinary incremental collector reclaims it, so no collection is forced at all;
			-- even a single collectgarbage "step" measured 2-25 us depending on the GC phase.
		end

		-- Patches, rollback, versions, check (see lualib/skynet/patch.lua).
		-- INJECT meta source filename args... -> ok, output, { id = patch id or nil, summary }
		function cmd.INJECT(meta, ...)
			reply(inject(type(meta) == "table" and meta or {}, ...))
		end

		-- PATCHES -> the patch stack, oldest first
		function cmd.PATCHES()
			reply(require("skynet.patch").list())
		end

		-- A reload in place of this service (lualib/skynet/api/reload.lua), or with
		-- `rollback_of`, the rollback of that reload: the runtime answers this request once the
		-- new state has started (true, report); this answers false, reason when it cannot begin.
		local function reload(meta, rollback_of)
			local co = internals.running_thread
			local ok, err = internals.part("skynet.api.reload").prepare(type(meta) == "table" and meta or {},
				internals.session_coroutine_address[co], internals.session_coroutine_id[co], rollback_of)
			if ok then
				skynet.ignoreret()
			else
				reply(false, err)
			end
		end

		-- ROLLBACK [count [meta]] -> report lines | nil, reason; or, when the top patch is a
		-- reload in place and count is 1, true, report | false, reason once the code it replaced
		-- has started again (as RELOAD)
		function cmd.ROLLBACK(count, meta)
			local patch = require "skynet.patch"
			local top = patch.top()
			if top and top.kind == "reload_service" and (count == nil or tonumber(count) == 1) then
				return reload(meta, top.id)
			end
			reply(patch.rollback(count, handler_roots()))
		end

		-- ROLLBACK_BROADCAST id -> report lines | nil, reason
		function cmd.ROLLBACK_BROADCAST(id)
			reply(require("skynet.patch").rollback_broadcast(id, handler_roots()))
		end

		-- VERSIONS -> { [module] = checksum of the file it runs }
		function cmd.VERSIONS()
			reply(require("skynet.patch").versions())
		end

		-- CHECK source filename -> ok, report lines (the hotfix is compiled, not run)
		function cmd.CHECK(source, filename)
			local u, p = require("skynet.inject").tables(internals, skynet.dispatch_message,
				skynet.register_protocol)
			reply(require("skynet.inject_check")(source, filename, u, p))
		end

		-- RELOAD meta -> (answered by the runtime once the new state has started) ok, report
		-- A reload in place (lualib/skynet/api/reload.lua); meta: operator.
		function cmd.RELOAD(meta)
			reload(meta)
		end

		function cmd.TERM(address)
			skynet.term(address)
		end

		function cmd.SUPPORT(protocol)
			local p = internals.proto[protocol]	-- (skynet.dispatch(protocol) ~= nil)
			return reply(p ~= nil and p.dispatch ~= nil)
		end

		function cmd.PING()
			return skynet.ret()
		end

		function cmd.LINK()
			-- Hold the response without answering: when this service exits, skynet.exit fails
			-- every held response, which is what the linked caller waits for.
			skynet.response()
		end

		function cmd.TRACELOG(protocol, flag)
			if type(protocol) ~= "string" then
				protocol, flag = "lua", protocol
			end
			skynet.error(string.format("Turn trace log %s for %s", tostring(flag), protocol))
			skynet.traceproto(protocol, flag)
			skynet.ret()
		end

		return cmd
	end

	local dbgcmd = build_commands()

	return function(_, _, name, ...)
		local handler = dbgcmd[name] or extern_dbgcmd[name]
		if not handler then
			error("Unknown debug command " .. tostring(name))
		end
		handler(...)
	end
end

local function reg_debugcmd(name, fn)
	extern_dbgcmd[name] = fn
end

return {
	init = init,
	reg_debugcmd = reg_debugcmd,
}
