-- skynet.debug: the `debug` protocol (id 9) that every Lua service answers. skynet.lua registers
-- the protocol with a small stub; the first debug message loads this module and calls
--   require("skynet.debug").init(skynet, internals) -> dispatch
-- whose result replaces the stub. `internals` is skynet.lua's internals() table (this module
-- reads only its info_func, set by skynet.info_func). Services may add commands with
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
--   TERM addr        as if `addr` had exited (its pending calls fail)
--   SUPPORT proto    -> whether the service has a dispatch function for `proto`
--   PING             -> empty reply
--   LINK             never answered while the service lives; the caller's call fails when it exits
--   TRACELOG [proto] flag   turn trace logging of `proto` (default "lua") on/off
--   KILLTASK name    kill a coroutine (skynet.killthread); -> nothing, or "Not found"
-- As Skynet 1.8, with one deliberate difference in RUN (see there). REMOTEDEBUG is not provided.

local extra_commands = {}	-- name -> fn, from reg_debugcmd; shared by the whole service

local function init(skynet, internals)
	local function reply(...)
		return skynet.ret(skynet.pack(...))
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

		function cmd.RUN(source, filename, ...)
			local inject = require "skynet.inject"
			local ok, output = inject(skynet, source, filename, table.pack(...),
				skynet.dispatch_message, skynet.register_protocol)
			reply(ok, table.concat(output, "\n"))
			-- Deliberate difference from Skynet, which runs collectgarbage "collect" here: a full
			-- collection costs time in proportion to the service's whole heap (over 100 ms for a
			-- few million live tables), so injects into a big service would be slow and stall its
			-- messages. The garbage of an inject (a compiled chunk, a few small tables) is tiny and
			-- the ordinary incremental collector reclaims it, so no collection is forced at all;
			-- even a single collectgarbage "step" measured 2-25 us depending on the GC phase.
		end

		function cmd.TERM(address)
			skynet.term(address)
		end

		function cmd.SUPPORT(protocol)
			return reply(skynet.dispatch(protocol) ~= nil)
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

	local commands = build_commands()

	return function(_, _, name, ...)
		local handler = commands[name] or extra_commands[name]
		if not handler then
			error("Unknown debug command " .. tostring(name))
		end
		handler(...)
	end
end

local function reg_debugcmd(name, fn)
	extra_commands[name] = fn
end

return {
	init = init,
	reg_debugcmd = reg_debugcmd,
}
