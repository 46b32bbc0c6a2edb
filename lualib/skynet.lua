-- skynet.lua: the Lua API of a Skyhost service, compatible with Skynet v1.8.0.
--
-- Every Lua service requires this module. It turns the native callback of `skynet.core`
-- (one call per message) into Skynet's programming model: each request runs in a coroutine,
-- `skynet.call` parks that coroutine until the RESPONSE (or ERROR) carrying its session arrives,
-- timers and sleeps are sessions too, and `skynet.fork` queues coroutines that run once the
-- current message is done.
--
-- Why the API is split over three files. Skyhost runs Debian's stock Lua, which cannot share
-- compiled functions between states: every service holds its own copy of all the code it loads,
-- and every function costs heap (and start-up time) even if it is never called. So this file
-- holds only what every service runs: the message loop, the pool of worker coroutines, timers,
-- start / init_service, register_protocol and the default protocols. The first time a service
-- reads a name that this file does not define, it loads
--   lualib/skynet/lazy.lua          the everyday API: send, call, ret, retpack, response,
--                                   dispatch, sleep, yield, wait, wakeup, fork, address,
--                                   getenv, newservice, uniqueservice, time, ...
-- and, if the name is still missing,
--   lualib/skynet/lazy_rare.lua  exit, register, name, stat, trace, task, uniqtask, killthread,
--                                   request / select, dispatch_unknown_*, trace_timeout, ...
-- after which the name reads as if it had always been there (a name neither defines stays nil,
-- as in Skynet). The core also calls them for what is rare on its own paths: a handler that
-- raised, a traced thread, a forgotten response, an unknown message, sessions near the wrap of
-- the session counter. The debug protocol (lualib/skynet/debug.lua) is loaded by the first
-- debug message. These modules see this file only through the table `internal` below.
--
-- Inject (lualib/skynet/inject.lua) walks the upvalues of skynet.dispatch_message and
-- skynet.register_protocol and exposes the tables it finds by upvalue name (`proto` is an upvalue
-- of register_protocol), then adds the state tables of `internal` under the same names for those
-- the walk did not reach (the ones only lazy.lua's functions use). So the names of the state
-- tables (`proto`, `session_id_coroutine`, `session_coroutine_id`, `session_coroutine_address`,
-- `unresponse`, `watching_session`, `sleep_session`, ...) are kept as in Skynet: hotfix scripts
-- written for Skynet look them up through `_U`.
--
-- Where Skyhost differs from Skynet 1.8 (on purpose):
--   * `skynet.core` has no `trace`: trace lines are formatted in Lua (lazy_rare) and written
--     with skynet.error, in Skynet's shape `<TRACE tag> <ns> text : source:line ...`.
--   * `skynet.core` has no `harbor`: skynet.harbor(addr) answers (addr >> 24, false), which is
--     what Skynet answers in a single node.
--   * skynet.memlimit uses the native c.memlimit, which takes effect at once (Skynet applies the
--     limit only when it is set during the service's main chunk). It can still be set only once.
--   * skynet.register / skynet.name are available without requiring skynet.manager (the
--     hot-update document does that); skynet.manager provides the same functions.
--   * A request whose payload cannot be unpacked (a broken buffer) is answered with an ERROR, so
--     the caller's skynet.call fails instead of waiting for ever; Skynet only logs it.
--   * The error a failing handler raises into the host is the traceback itself, without the
--     "skynet.lua:NNN:" prefix Skynet's re-raise adds.
--   * skynet.trace() does not log Skynet's leftover "TRACE <tag>" debug line.
--   * After skynet.exit, incoming RESPONSE / ERROR messages are dropped rather than answered with
--     an ERROR (which could fail an unrelated call of the sender that has the same session number).
--   * skynet.cache is a stub (clear does nothing, mode is remembered): Skyhost's code cache checks
--     each file on every load, so there is nothing to clear.
--   * skynet.killthread of a sleeping thread voids its timer ("BREAK") instead of forgetting the
--     session, which made Skynet log "Unknown session" when the timer fired.
--   * request:close() drops only the answers still to come (Skynet also marked failed calls whose
--     answer had arrived, leaving stale entries); an answer select cannot unpack counts as failed.
--   * A request is handed to a pooled coroutine in a single resume (the handler travels with its
--     arguments); Skynet resumes twice. The observable behaviour is the same.

local c = require "skynet.core"
local skynet_require = require "skynet.require"

local csend = c.send
local raw_resume = coroutine.resume
local coroutine_yield = coroutine.yield

local PTYPE_RESPONSE <const> = 1
local PTYPE_ERROR <const> = 7

local skynet = {
	PTYPE_TEXT = 0,
	PTYPE_RESPONSE = 1,
	PTYPE_MULTICAST = 2,
	PTYPE_CLIENT = 3,
	PTYPE_SYSTEM = 4,
	PTYPE_HARBOR = 5,
	PTYPE_SOCKET = 6,
	PTYPE_ERROR = 7,
	PTYPE_QUEUE = 8,	-- Skynet's deprecated mqueue; use skynet.queue
	PTYPE_DEBUG = 9,
	PTYPE_LUA = 10,
	PTYPE_SNAX = 11,
	PTYPE_TRACE = 12,

	now = c.now,
	hpc = c.hpc,	-- high-resolution counter, nanoseconds
	self = c.self,
	error = c.error,
	genid = c.genid,
	pack = c.pack,
	packstring = c.packstring,
	unpack = c.unpack,
	tostring = c.tostring,
	trash = c.trash,
	init = skynet_require.init,
}

---------------------------------------------------------------------------------------------------
-- State
--
-- `internal` is what lazy.lua, lazy_rare.lua and debug.lua see of this file: the state tables
-- and functions listed at the end of the file, and these fields:
--   running_thread   the thread skynet resumed last: the skynet thread (request handler, timer,
--       fork...) whose code is running. Coroutines of skynet.coroutine run inside it and do not
--       change it, so skynet.ret and friends find the request of the enclosing skynet thread.
--   init_thread   the thread running the start function, while it runs
--   guard_send, guard_timer, guard_genid   while sessions near the wrap of the counter are
--       guarded (lazy_rare): replacements for c.send, c.intcommand and c.genid (else nil)
--   timer_create(func, ti)   while skynet.trace_timeout is on: makes the thread of a timer
--   info_func   set by skynet.info_func, called by the debug command INFO
local internal = {}

local proto = {}	-- protocol classes, by name and by id
skynet._proto = proto

-- (lazy.lua adds unresponse, watching_session, sleep_session and wait_session to `internal`.)
local session_id_coroutine = {}	-- session I wait on -> thread, or "BREAK" (drop its answer)
local session_coroutine_id = {}	-- thread serving a request -> the request's session
local session_coroutine_address = {}	-- thread serving a request -> the requester
local session_coroutine_tracetag = {}	-- thread -> trace tag (false: tracing forced off)
local trace_source = {}	-- address -> trace tag announced (PTYPE_TRACE) for its next request

-- The ready queues. Each is a sequence that only grows (q[#q + 1] = x) until lazy.lua has
-- consumed every entry and empties it; an entry consumed (or withdrawn by skynet.killthread /
-- skynet.exit) is false, so that the sequence stays whole. Empty, they cost the core nothing but
-- a look at their first entry; lazy.lua does the rest.
local wakeup_queue = {}	-- tokens passed to skynet.wakeup
local error_queue = {}	-- sessions of calls that failed (ERROR received, or the callee is gone)
local fork_queue = {}	-- threads created by skynet.fork, run after the current message

-- The lazily loaded parts of the API ("skynet.lazy", "skynet.lazy_rare"): each file is run
-- once with (skynet, internal) and returns its helpers for the core. While it runs, it must not
-- read a name that skynet does not define yet.
local parts = {}
local function part(name)
	local helpers = parts[name]
	if helpers == nil then
		local path, err = package.searchpath(name, package.path)
		if not path then
			error(err)
		end
		helpers = assert(loadfile(path))(skynet, internal)
		parts[name] = helpers
	end
	return helpers
end

function skynet.register_protocol(class)
	local name, id = class.name, class.id
	if type(name) ~= "string" or type(id) ~= "number" or id < 0 or id > 255 then
		error("register_protocol needs a string name and an id in 0..255", 2)
	end
	if proto[name] ~= nil or proto[id] ~= nil then
		error(string.format("protocol %s (%d) is already registered", name, id), 2)
	end
	proto[name] = class
	proto[id] = class
end

-- Sessions. The runtime hands them out from a counter that wraps back to 1 before 2^31. From
-- GUARD_FROM on, lazy_rare guards the allocation (through the guard_* fields) until the
-- counter has wrapped and passed every session still in use, so that a session still waited on
-- is never handed out twice. Every session the runtime picks is checked (here in
-- skynet.timeout, by lazy.lua's `checked` elsewhere).
local GUARD_FROM <const> = 0x7ff00000

---------------------------------------------------------------------------------------------------
-- Worker coroutines
--
-- A worker is resumed with (task, args...): it runs task(args...), cleans up after it, goes back
-- to the pool and yields "SUSPEND" until the next resume brings the next task. A request is
-- handed over in one resume (serve_request); a timer or a fork, whose first resume comes later
-- from code that does not know the task, gets a worker that has been given `deferred` (co_create).

-- Idle workers, most recent on top. Weak: the collector may take idle ones back.
local coroutine_pool = setmetatable({}, { __mode = "v" })
local pool_size = 0

local park

-- Runs one task in worker `co`, then parks the worker (a tail call, so that neither the task's
-- arguments nor the task stay referenced by the parked thread).
local function serve(co, task, ...)
	task(...)
	local session = session_coroutine_id[co]
	if session ~= nil then	-- a send left unanswered (normal), or a call (reported)
		if session ~= 0 then
			part("skynet.lazy_rare").forgot_response(co, task, session)
		end
		session_coroutine_id[co] = nil
	end
	if session_coroutine_tracetag[co] ~= nil then
		part("skynet.lazy_rare").trace_end(co)
	end
	session_coroutine_address[co] = nil
	return park(co)
end

function park(co)
	pool_size = pool_size + 1
	coroutine_pool[pool_size] = co
	return serve(co, coroutine_yield "SUSPEND")
end

local function worker(...)
	return serve(coroutine.running(), ...)
end

-- The task of a worker made by co_create: runs f with the arguments of the worker's next resume.
local function deferred(f)
	return f(coroutine_yield "SUSPEND")
end

-- A suspended thread that runs `f(...)` with the arguments of its next resume: an idle worker
-- from the pool (an entry the collector took is nil: then a new one), given `deferred`.
local function co_create(f)
	local co
	if pool_size > 0 then
		co = coroutine_pool[pool_size]
		coroutine_pool[pool_size] = nil
		pool_size = pool_size - 1
	end
	if not co then
		co = coroutine.create(worker)
	end
	raw_resume(co, deferred, f)	-- (does not change internal.running_thread)
	return co
end

-- Called with a thread and the results of resuming it. "SUSPEND" means the thread is parked (or
-- back in the pool). Anything else (the thread raised, exited, or yielded something odd), and
-- threads made ready meanwhile (skynet.wakeup, failed calls), are handled by lazy.lua.
local function suspend(co, ok, command)
	if command ~= "SUSPEND" or not ok or wakeup_queue[1] ~= nil or error_queue[1] ~= nil then
		return part("skynet.lazy").suspend(co, ok, command)
	end
end

---------------------------------------------------------------------------------------------------
-- Dispatch

-- True from just before a request's payload is unpacked until its thread starts: if the unpack
-- raises, dispatch_message answers the caller with an ERROR.
local unpacking = false

-- Starts the thread serving a request; the arguments after `source` are the unpacked payload.
local function serve_request(handler, class, session, source, ...)
	unpacking = false
	local co
	if pool_size > 0 then	-- an idle worker (as in co_create)
		co = coroutine_pool[pool_size]
		coroutine_pool[pool_size] = nil
		pool_size = pool_size - 1
	end
	if not co then
		co = coroutine.create(worker)
	end
	session_coroutine_id[co] = session
	session_coroutine_address[co] = source
	if class.trace ~= nil or trace_source[source] ~= nil then
		part("skynet.lazy_rare").trace_request(co, class.trace, source)
	end
	internal.running_thread = co
	return co, raw_resume(co, handler, session, source, ...)
end

local function raw_dispatch_message(prototype, msg, sz, session, source)
	if prototype == PTYPE_RESPONSE then
		local co = session_id_coroutine[session]
		if co == "BREAK" then
			session_id_coroutine[session] = nil
		elseif co == nil then
			return part("skynet.lazy_rare").stray(prototype, msg, sz, session, source)
		else
			local tag = session_coroutine_tracetag[co]
			if tag then
				part("skynet.lazy_rare").tracelog(tag, "resume")
			end
			session_id_coroutine[session] = nil
			internal.running_thread = co
			return suspend(co, raw_resume(co, true, msg, sz, session))
		end
		return
	end
	local class = proto[prototype]
	local handler = class and class.dispatch
	if handler == nil then	-- (and PTYPE_TRACE)
		return part("skynet.lazy_rare").stray(prototype, msg, sz, session, source, class)
	end
	unpacking = true
	return suspend(serve_request(handler, class, session, source, class.unpack(msg, sz)))
end

-- The message callback (skynet.core.callback): one call per message. Then the forked threads
-- queued so far (and those they fork) run; their errors are merged into the message's.
function skynet.dispatch_message(prototype, msg, sz, session, source)
	local ok, err = pcall(raw_dispatch_message, prototype, msg, sz, session, source)
	if not ok and unpacking then
		unpacking = false
		if session ~= 0 and prototype ~= PTYPE_RESPONSE then
			csend(source, PTYPE_ERROR, session, "")
		end
	end
	if fork_queue[1] ~= nil then
		ok, err = part("skynet.lazy").run_forks(ok, err)
	end
	if not ok then
		error(tostring(err), 0)
	end
end

---------------------------------------------------------------------------------------------------
-- The core API (the rest is in lazy.lua and lazy_rare.lua)

function skynet.timeout(ti, func)
	local session = (internal.guard_timer or c.intcommand)("TIMEOUT", ti)
	if session >= GUARD_FROM then
		part("skynet.lazy_rare").start_guard(session)
	end
	local co = (internal.timer_create or co_create)(func, ti)
	assert(session_id_coroutine[session] == nil, "timer session already in use")
	session_id_coroutine[session] = co
	return co	-- for debugging
end

-- Runs the start function (after the skynet.init functions of the modules required by the main
-- chunk) and tells the launcher how it went, so that newservice returns or fails.
function skynet.init_service(start)
	local ok, err = xpcall(skynet_require.init_all, debug.traceback)
	if ok then
		ok, err = xpcall(start, debug.traceback)
	end
	internal.init_thread = nil
	if ok then
		csend(".launcher", skynet.PTYPE_LUA, 0, c.pack("LAUNCHOK"))
	else
		c.error("init service failed: " .. tostring(err))
		csend(".launcher", skynet.PTYPE_LUA, 0, c.pack("ERROR"))
		skynet.exit()
	end
end

function skynet.start(start_func)
	c.callback(skynet.dispatch_message)
	internal.init_thread = skynet.timeout(0, function()
		skynet.init_service(start_func)
	end)
end

---------------------------------------------------------------------------------------------------
-- Default protocols, the internals, and the lazily loaded names

skynet.register_protocol {
	name = "lua",
	id = skynet.PTYPE_LUA,
	pack = c.pack,
	unpack = c.unpack,
}

skynet.register_protocol {
	name = "response",
	id = skynet.PTYPE_RESPONSE,
}

-- ERROR messages (a call failed, or a service I call or answer is gone) matter only to services
-- that call or hold responses, which lazy.lua serves: its error_dispatch replaces this one.
skynet.register_protocol {
	name = "error",
	id = skynet.PTYPE_ERROR,
	unpack = function(...) return ... end,
	dispatch = function(...)
		local dispatch = part("skynet.lazy").error_dispatch
		proto.error.dispatch = dispatch
		return dispatch(...)
	end,
}

-- The debug protocol (MEM, GC, STAT, TASK, INFO, RUN (inject), ...): the first debug message
-- loads lualib/skynet/debug.lua, whose dispatch function then replaces this one.
skynet.register_protocol {
	name = "debug",
	id = skynet.PTYPE_DEBUG,
	pack = c.pack,
	unpack = c.unpack,
	dispatch = function(...)
		local dispatch = skynet_require.lua_require("skynet.debug").init(skynet, internal)
		proto.debug.dispatch = dispatch
		return dispatch(...)
	end,
}

internal.c = c	-- (so that inject's _U.c is skynet.core, as in Skynet)
internal.proto = proto
internal.session_id_coroutine = session_id_coroutine
internal.session_coroutine_id = session_coroutine_id
internal.session_coroutine_address = session_coroutine_address
internal.session_coroutine_tracetag = session_coroutine_tracetag
internal.trace_source = trace_source
internal.wakeup_queue = wakeup_queue
internal.error_queue = error_queue
internal.fork_queue = fork_queue
internal.co_create = co_create
internal.suspend = suspend
internal.part = part

setmetatable(skynet, {
	__index = function(t, name)
		part "skynet.lazy"
		local value = rawget(t, name)
		if value == nil then
			part "skynet.lazy_rare"
			value = rawget(t, name)
		end
		return value
	end,
})

return skynet
