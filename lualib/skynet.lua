-- skynet.lua: the Lua API of a Skyhost service, compatible with Skynet v1.8.0.
--
-- Every Lua service requires this module. It turns the native callback of `skynet.core`
-- (one call per message) into Skynet's programming model: each request runs in a coroutine,
-- `skynet.call` parks that coroutine until the RESPONSE (or ERROR) carrying its session arrives,
-- timers and sleeps are sessions too, and `skynet.fork` queues coroutines that run once the
-- current message is done.
--
-- Only the core that every service needs lives in this file: the message loop, the pool of
-- worker coroutines, sessions, call / send / ret / response, sleep / wait / wakeup / timeout /
-- fork, start and exit, register_protocol and the default protocols. Skyhost runs Debian's stock
-- Lua, where every service holds its own copy of the code it loads, so the rest of the API
-- (request/select, trace, task, killthread, term, newservice and the other service helpers,
-- memlimit, stat...) is in lualib/skynet/lazy.lua and is loaded the first time one of those
-- names is read from the skynet table (see `lazy` below). The debug protocol
-- (lualib/skynet/debug.lua) is loaded when the first debug message arrives. Both receive the
-- internals they need through one explicit table (`internals()` below), never through globals.
--
-- Layout of this file:
--   1. protocol classes (`proto`) and the bookkeeping tables of sessions and threads
--   2. session allocation (the guard near the wrap of the session counter is in skynet.lazy)
--   3. the pool of worker coroutines, `suspend`, and the queues of woken / failed threads
--   4. message dispatch (`skynet.dispatch_message`)
--   5. the public API of the core
--   6. default protocols, start-up, the internals table and the lazy part of the API
--
-- Inject (lualib/skynet/inject.lua) walks the upvalues of skynet.dispatch_message and
-- skynet.register_protocol and exposes the tables it finds by upvalue name, so the names of the
-- state tables below (`proto`, `session_id_coroutine`, `session_coroutine_id`,
-- `session_coroutine_address`, `unresponse`, `watching_session`, `sleep_session`, ...) are kept
-- as in Skynet: hotfix scripts written for Skynet look them up through `_U`.
--
-- Where Skyhost differs from Skynet 1.8 (on purpose):
--   * `skynet.core` has no `trace`: trace lines are formatted in Lua (skynet.lazy) and written
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
--   * skynet.cache is the native `skynet.codecache` module when the host has one, otherwise a stub.
--   * skynet.killthread of a sleeping thread voids its timer ("BREAK") instead of forgetting the
--     session, which made Skynet log "Unknown session" when the timer fired.
--   * request:close() drops only the answers still to come (Skynet also marked failed calls whose
--     answer had arrived, leaving stale entries); an answer select cannot unpack counts as failed.
--   * A request is handed to a pooled coroutine in a single resume (the handler travels with its
--     arguments); Skynet resumes twice. The observable behaviour is the same.

local c = require "skynet.core"
local skynet_require = require "skynet.require"

local type = type
local tostring = tostring
local pairs = pairs
local pcall = pcall
local error = error
local assert = assert
local format = string.format
local traceback = debug.traceback

local raw_resume = coroutine.resume
local coroutine_yield = coroutine.yield
local coroutine_create = coroutine.create
local coroutine_running = coroutine.running
local coroutine_close = coroutine.close

local csend = c.send
local cerror = c.error
local cself = c.self

local PTYPE_RESPONSE = 1
local PTYPE_ERROR = 7
local PTYPE_TRACE = 12

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
}

-- The rest of the API, loaded on first use (section 6).
local lazy

---------------------------------------------------------------------------------------------------
-- 1. Protocols and bookkeeping

-- The thread skynet resumed last: the skynet thread (request handler, timer, fork...) whose code
-- is running. Coroutines of skynet.coroutine run inside it and do not change it, so skynet.ret
-- and friends find the request of the enclosing skynet thread.
local running_thread = nil
local init_thread = nil	-- the thread running the start function, while it runs

local function coroutine_resume(co, ...)
	running_thread = co
	return raw_resume(co, ...)
end

local proto = {}	-- protocol classes, by name and by id
skynet._proto = proto

function skynet.register_protocol(class)
	local name, id = class.name, class.id
	if type(name) ~= "string" or type(id) ~= "number" or id < 0 or id > 255 then
		error("register_protocol needs a string name and an id in 0..255", 2)
	end
	if proto[name] ~= nil or proto[id] ~= nil then
		error(format("protocol %s (%d) is already registered", name, id), 2)
	end
	proto[name] = class
	proto[id] = class
end

local session_id_coroutine = {}	-- session I wait on -> thread, or "BREAK" (drop its answer)
local session_coroutine_id = {}	-- thread serving a request -> the request's session
local session_coroutine_address = {}	-- thread serving a request -> the requester
local session_coroutine_tracetag = {}	-- thread -> trace tag (false: tracing forced off)
local unresponse = {}	-- response closure (skynet.response) -> requester, until used
local watching_session = {}	-- session of a pending call -> the callee
local sleep_session = {}	-- token of a sleep / wait -> its session
local wait_session = {}	-- sessions of skynet.wait (no answer will ever come for them)
local trace_source = {}	-- address -> trace tag announced (PTYPE_TRACE) for its next request

-- Tokens passed to skynet.wakeup, in order (a FIFO with explicit ends).
local wakeup_queue = {}
local wakeup_first, wakeup_last = 1, 0
-- Sessions of calls that failed (ERROR received, or the callee is gone), in order.
local error_queue = {}
local error_first, error_last = 1, 0
-- Threads created by skynet.fork, run after the current message. An entry is false when
-- skynet.killthread took the thread out of the queue.
local fork_queue = {}
local fork_first, fork_last = 1, 0

---------------------------------------------------------------------------------------------------
-- 2. Sessions
--
-- The runtime hands out sessions from a counter that wraps back to 1 before 2^31. Far from the
-- wrap (below GUARD_FROM), sessions come straight from the runtime through the three functions
-- below. From GUARD_FROM on, skynet.lazy's guard takes over (it replaces the three through
-- internals().set_allocators) until the counter has wrapped and passed every session still in
-- use, so that a session still waited on is never handed out twice.

local GUARD_FROM = 0x7ff00000

local new_call_session	-- (addr, ptype, msg, sz) -> session | nil: sends a request
local new_timer_session	-- (ti) -> session: starts a timer
local new_wait_session	-- () -> session: a session nothing will answer (skynet.wait)

local function fast_call(addr, ptype, msg, sz)
	local session = csend(addr, ptype, nil, msg, sz)
	if session and session >= GUARD_FROM then
		lazy().start_guard(session)
	end
	return session
end

local function fast_timer(ti)
	local session = c.intcommand("TIMEOUT", ti)
	if session >= GUARD_FROM then
		lazy().start_guard(session)
	end
	return session
end

local function fast_wait()
	local session = c.genid()
	if session >= GUARD_FROM then
		lazy().start_guard(session)
	end
	return session
end

new_call_session, new_timer_session, new_wait_session = fast_call, fast_timer, fast_wait

---------------------------------------------------------------------------------------------------
-- 3. Worker coroutines, suspend, and the ready queues
--
-- A worker is resumed with (task, args...): it runs task(args...), cleans up after it, goes back
-- to the pool and yields "SUSPEND" until the next resume brings the next task. A request is
-- handed over in one resume (serve_request); a timer or a fork, whose first resume comes later
-- from code that does not know the task, gets a worker that has been given `deferred` (co_create).

local suspend	-- function(co, ok, command): see below

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
			lazy().forgot_response(co, task, session)
		end
		session_coroutine_id[co] = nil
	end
	if session_coroutine_tracetag[co] ~= nil then
		lazy().trace_end(co)
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
	return serve(coroutine_running(), ...)
end

-- An idle worker from the pool, or a new one; it has not been resumed yet.
local function take_worker()
	while pool_size > 0 do
		local co = coroutine_pool[pool_size]
		coroutine_pool[pool_size] = nil
		pool_size = pool_size - 1
		if co then
			return co
		end
	end
	return coroutine_create(worker)
end

-- The task of a worker made by co_create: runs f with the arguments of the worker's next resume.
local function deferred(f)
	return f(coroutine_yield "SUSPEND")
end

-- A suspended thread that runs `f(...)` with the arguments of its next resume.
local function co_create(f)
	local co = take_worker()
	raw_resume(co, deferred, f)	-- (does not change running_thread)
	return co
end

-- Resumes the next thread made ready by skynet.wakeup or by a failed call.
-- Returns that thread and what its resume returned, or nothing.
local function resume_ready()
	while wakeup_first <= wakeup_last do
		local token = wakeup_queue[wakeup_first]
		wakeup_queue[wakeup_first] = nil
		wakeup_first = wakeup_first + 1
		local session = sleep_session[token]
		if session then
			local co = session_id_coroutine[session]
			if type(co) == "thread" then
				local tag = session_coroutine_tracetag[co]
				if tag then
					lazy().tracelog(tag, "resume")
				end
				session_id_coroutine[session] = "BREAK"	-- its timer, if any, is now void
				return co, coroutine_resume(co, false, "BREAK", nil, session)
			end
		end
	end
	wakeup_first, wakeup_last = 1, 0
	while error_first <= error_last do
		local session = error_queue[error_first]
		error_queue[error_first] = nil
		error_first = error_first + 1
		local co = session_id_coroutine[session]
		session_id_coroutine[session] = nil
		if type(co) == "thread" then
			return co, coroutine_resume(co, false, nil, nil, session)
		end
	end
	error_first, error_last = 1, 0
end

local function noop() end

-- A thread raised `err`: fail its request, if any, and raise the traceback.
local function thread_failed(co, err)
	local session = session_coroutine_id[co]
	if session then
		if session ~= 0 then
			local tag = session_coroutine_tracetag[co]
			if tag then
				lazy().tracelog(tag, "error")
			end
			csend(session_coroutine_address[co], PTYPE_ERROR, session, "")
		end
		session_coroutine_id[co] = nil
	end
	session_coroutine_address[co] = nil
	session_coroutine_tracetag[co] = nil
	-- The raise below leaves the ready queues undrained: an empty fork drains them afterwards.
	skynet.fork(noop)
	local message = traceback(co, tostring(err))
	coroutine_close(co)
	error(message, 0)
end

-- Called with a thread and the results of resuming it. "SUSPEND" means the thread is parked (or
-- back in the pool): then whatever became ready meanwhile runs, one after the other.
function suspend(co, ok, command)
	while true do
		if not ok then
			return thread_failed(co, command)
		end
		if command ~= "SUSPEND" then
			if command == "QUIT" then	-- skynet.exit
				coroutine_close(co)
				return
			elseif command == "USER" then
				error("Call skynet.coroutine.yield out of skynet.coroutine.resume\n" .. traceback(co))
			elseif command == nil then	-- a bare coroutine.yield(): the thread stays parked
				return
			end
			error("Unknown command : " .. tostring(command) .. "\n" .. traceback(co))
		end
		if wakeup_first > wakeup_last and error_first > error_last then
			return	-- nothing ready (the common case)
		end
		co, ok, command = resume_ready()
		if co == nil then
			return
		end
	end
end

---------------------------------------------------------------------------------------------------
-- 4. Dispatch

-- nil: skynet.lazy's defaults (they log the message and raise). See skynet.dispatch_unknown_*.
local unknown_request, unknown_response

-- True from just before a request's payload is unpacked until its thread starts: if the unpack
-- raises, dispatch_message answers the caller with an ERROR.
local unpacking = false

-- Starts the thread serving a request; the arguments after `source` are the unpacked payload.
local function serve_request(handler, class, session, source, ...)
	unpacking = false
	local co = take_worker()
	session_coroutine_id[co] = session
	session_coroutine_address[co] = source
	if class.trace ~= nil or trace_source[source] ~= nil then
		lazy().trace_request(co, class.trace, source)
	end
	running_thread = co
	return co, raw_resume(co, handler, session, source, ...)
end

local function raw_dispatch_message(prototype, msg, sz, session, source)
	if prototype == PTYPE_RESPONSE then
		local co = session_id_coroutine[session]
		if co == "BREAK" then
			session_id_coroutine[session] = nil
		elseif co == nil then
			(unknown_response or lazy().unknown_response)(session, source, msg, sz)
		else
			local tag = session_coroutine_tracetag[co]
			if tag then
				lazy().tracelog(tag, "resume")
			end
			session_id_coroutine[session] = nil
			running_thread = co	-- (coroutine_resume, inline)
			return suspend(co, raw_resume(co, true, msg, sz, session))
		end
		return
	end
	local class = proto[prototype]
	if class == nil then
		if prototype == PTYPE_TRACE then	-- the next request from `source` is traced
			trace_source[source] = c.tostring(msg, sz)
		elseif session ~= 0 then
			csend(source, PTYPE_ERROR, session, "")
		else
			(unknown_request or lazy().unknown_request)(session, source, msg, sz, prototype)
		end
		return
	end
	local handler = class.dispatch
	if handler == nil then
		trace_source[source] = nil
		if session ~= 0 then
			csend(source, PTYPE_ERROR, session, "")
		else
			(unknown_request or lazy().unknown_request)(session, source, msg, sz, class.name)
		end
		return
	end
	unpacking = true
	return suspend(serve_request(handler, class, session, source, class.unpack(msg, sz)))
end

-- Runs the forked threads queued so far (and those they fork), merging their errors into `err`.
local function run_forks(ok, err)
	while fork_first <= fork_last do
		local co = fork_queue[fork_first]
		fork_queue[fork_first] = nil
		fork_first = fork_first + 1
		if co then
			local fork_ok, fork_err = pcall(suspend, co, coroutine_resume(co))
			if not fork_ok then
				if ok then
					ok, err = false, tostring(fork_err)
				else
					err = tostring(err) .. "\n" .. tostring(fork_err)
				end
			end
		end
	end
	fork_first, fork_last = 1, 0
	return ok, err
end

-- The message callback (skynet.core.callback): one call per message.
function skynet.dispatch_message(prototype, msg, sz, session, source)
	local ok, err = pcall(raw_dispatch_message, prototype, msg, sz, session, source)
	if not ok and unpacking then
		unpacking = false
		if session ~= 0 and prototype ~= PTYPE_RESPONSE then
			csend(source, PTYPE_ERROR, session, "")
		end
	end
	if fork_first <= fork_last then
		ok, err = run_forks(ok, err)
	end
	if not ok then
		error(tostring(err), 0)
	end
end

---------------------------------------------------------------------------------------------------
-- 5. Public API (the core; the rest is in skynet.lazy)

function skynet.address(addr)
	if type(addr) == "number" then
		return format(":%08x", addr)
	end
	return tostring(addr)
end

function skynet.self()
	return cself()
end

function skynet.localname(name)
	return c.addresscommand("QUERY", name)
end

skynet.now = c.now
skynet.hpc = c.hpc	-- high-resolution counter, nanoseconds
skynet.error = cerror
skynet.genid = c.genid
skynet.pack = c.pack
skynet.packstring = c.packstring
skynet.unpack = c.unpack
skynet.tostring = c.tostring
skynet.trash = c.trash
skynet.init = skynet_require.init

function skynet.getenv(key)
	return (c.command("GETENV", key))
end

function skynet.send(addr, typename, ...)
	local p = proto[typename]
	return csend(addr, p.id, 0, p.pack(...))
end

function skynet.rawsend(addr, typename, msg, sz)
	local p = proto[typename]
	return csend(addr, p.id, 0, msg, sz)
end

-- Parks the running thread until the answer to `session` (sent to `addr`) arrives.
local function wait_response(addr, session)
	watching_session[session] = addr
	session_id_coroutine[session] = running_thread
	local ok, msg, sz = coroutine_yield "SUSPEND"
	watching_session[session] = nil
	if not ok then
		error "call failed"
	end
	return msg, sz
end

function skynet.call(addr, typename, ...)
	local tag = session_coroutine_tracetag[running_thread]
	if tag then
		lazy().trace_call(tag, addr, 3)
	end
	local p = proto[typename]
	local session = new_call_session(addr, p.id, p.pack(...))
	if session == nil then
		error("call to invalid address " .. skynet.address(addr))
	end
	return p.unpack(wait_response(addr, session))
end

function skynet.ret(msg, sz)
	msg = msg or ""
	local co = running_thread
	local tag = session_coroutine_tracetag[co]
	if tag then
		lazy().tracelog(tag, "response")
	end
	local session = session_coroutine_id[co]
	if session == nil then
		error "No session"
	end
	session_coroutine_id[co] = nil
	if session == 0 then	-- a send: nobody waits for an answer
		if sz ~= nil then
			c.trash(msg, sz)
		end
		return false
	end
	return csend(session_coroutine_address[co], PTYPE_RESPONSE, session, msg, sz) ~= nil
end

function skynet.retpack(...)
	return skynet.ret(skynet.pack(...))
end

function skynet.context()
	local co = running_thread
	return session_coroutine_id[co], session_coroutine_address[co]
end

function skynet.ignoreret()
	session_coroutine_id[running_thread] = nil
end

function skynet.response(pack)
	pack = pack or skynet.pack
	local co = running_thread
	local session = session_coroutine_id[co]
	if session == nil then
		error("no session", 2)
	end
	session_coroutine_id[co] = nil
	local address = session_coroutine_address[co]
	if session == 0 then	-- a send: answering does nothing
		return noop
	end
	local respond
	respond = function(ok, ...)
		if ok == "TEST" then	-- can it still answer?
			return unresponse[respond] ~= nil
		end
		if not pack then
			error "Can't response more than once"
		end
		local sent = false
		if unresponse[respond] then	-- nil once the requester is gone
			if ok then
				sent = csend(address, PTYPE_RESPONSE, session, pack(...)) ~= nil
			else
				sent = csend(address, PTYPE_ERROR, session, "") ~= nil
			end
			unresponse[respond] = nil
		end
		pack = nil
		return sent
	end
	unresponse[respond] = address
	return respond
end

-- Parks the running thread on `session` under `token` (for skynet.wakeup).
local function suspend_sleep(session, token)
	local tag = session_coroutine_tracetag[running_thread]
	if tag then
		lazy().tracelog(tag, "sleep", 2)
	end
	session_id_coroutine[session] = running_thread
	if sleep_session[token] ~= nil then
		error("token duplicative", 2)
	end
	sleep_session[token] = session
	return coroutine_yield "SUSPEND"
end

function skynet.sleep(ti, token)
	local session = new_timer_session(ti)
	token = token or coroutine_running()
	local ok, why = suspend_sleep(session, token)
	sleep_session[token] = nil
	if ok then
		return
	end
	if why == "BREAK" then
		return "BREAK"
	end
	error(why)
end

function skynet.yield()
	return skynet.sleep(0)
end

function skynet.wait(token)
	local session = new_wait_session()
	token = token or coroutine_running()
	wait_session[session] = true
	suspend_sleep(session, token)
	wait_session[session] = nil
	sleep_session[token] = nil
	session_id_coroutine[session] = nil
end

function skynet.wakeup(token)
	if sleep_session[token] then
		wakeup_last = wakeup_last + 1
		wakeup_queue[wakeup_last] = token
		return true
	end
end

function skynet.fork(func, ...)
	local n = select("#", ...)
	local co
	if n == 0 then
		co = co_create(func)
	else
		local args = { ... }
		co = co_create(function() func(table.unpack(args, 1, n)) end)
	end
	fork_last = fork_last + 1
	fork_queue[fork_last] = co
	return co
end

-- (func, ti) -> the timer's thread; skynet.trace_timeout replaces it with one that records
-- where each timer was set.
local timer_create = co_create

function skynet.timeout(ti, func)
	local session = new_timer_session(ti)
	local co = timer_create(func, ti)
	assert(session_id_coroutine[session] == nil, "timer session already in use")
	session_id_coroutine[session] = co
	return co	-- for debugging
end

function skynet.dispatch(typename, func)
	local p = proto[typename]
	if func then
		local previous = p.dispatch
		p.dispatch = func
		return previous
	end
	return p and p.dispatch
end

-- ERROR messages: session N = the call with session N failed; session 0 = the sender is gone.
local function _error_dispatch(error_session, error_source)
	skynet.ignoreret()
	if error_session == 0 then
		for respond, address in pairs(unresponse) do
			if address == error_source then
				unresponse[respond] = nil
			end
		end
		for session, address in pairs(watching_session) do
			if address == error_source then
				error_last = error_last + 1
				error_queue[error_last] = session
			end
		end
	elseif watching_session[error_session] then
		error_last = error_last + 1
		error_queue[error_last] = error_session
	end
end

-- Answers every request with an ERROR: the callback of a service that has exited.
local function refuse_all(prototype, _, _, session, source)
	if session ~= 0 and source ~= 0 and prototype ~= PTYPE_RESPONSE and prototype ~= PTYPE_ERROR then
		csend(source, PTYPE_ERROR, session, "")
	end
end

function skynet.exit()
	-- no fork runs after exit
	for i = fork_first, fork_last do
		fork_queue[i] = nil
	end
	fork_first, fork_last = 1, 0
	skynet.send(".launcher", "lua", "REMOVE", cself(), false)
	-- fail the requests I serve
	for co, session in pairs(session_coroutine_id) do
		local address = session_coroutine_address[co]
		if session ~= 0 and address then
			csend(address, PTYPE_ERROR, session, "")
		end
	end
	for _, co in pairs(session_id_coroutine) do
		if type(co) == "thread" and co ~= running_thread and coroutine.status(co) == "suspended" then
			coroutine_close(co)
		end
	end
	for respond in pairs(unresponse) do
		respond(false)
	end
	-- tell the services I am waiting on that I am gone
	local told = {}
	for _, address in pairs(watching_session) do
		if not told[address] then
			told[address] = true
			csend(address, PTYPE_ERROR, 0, "")
		end
	end
	c.callback(refuse_all)
	c.command("EXIT")
	coroutine_yield "QUIT"
end

-- Runs the start function (after the skynet.init functions of the modules required by the main
-- chunk) and tells the launcher how it went, so that newservice returns or fails.
function skynet.init_service(start)
	local ok, err = xpcall(function()
		skynet_require.init_all()
		start()
	end, traceback)
	if ok then
		skynet.send(".launcher", "lua", "LAUNCHOK")
	else
		cerror("init service failed: " .. tostring(err))
		skynet.send(".launcher", "lua", "ERROR")
		skynet.exit()
	end
end

function skynet.start(start_func)
	c.callback(skynet.dispatch_message)
	init_thread = skynet.timeout(0, function()
		skynet.init_service(start_func)
		init_thread = nil
	end)
end

---------------------------------------------------------------------------------------------------
-- 6. Default protocols, internals, and the lazily loaded parts

-- What skynet.lazy and skynet.debug may see and change of this file: the tables by their names,
-- the functions they need, and accessors for the locals they read or replace. Built once, the
-- first time either module loads.
local internal
local function internals()
	if internal == nil then
		internal = {
			proto = proto,
			session_id_coroutine = session_id_coroutine,
			session_coroutine_id = session_coroutine_id,
			session_coroutine_address = session_coroutine_address,
			session_coroutine_tracetag = session_coroutine_tracetag,
			unresponse = unresponse,
			watching_session = watching_session,
			sleep_session = sleep_session,
			wait_session = wait_session,
			trace_source = trace_source,
			fork_queue = fork_queue,	-- killthread sets a queued fork's entry to false
			co_create = co_create,
			wait_response = wait_response,
			error_dispatch = _error_dispatch,
			fast_call = fast_call,
			fast_timer = fast_timer,
			fast_wait = fast_wait,
			running = function() return running_thread end,
			init_thread = function() return init_thread end,
			set_allocators = function(call, timer, wait)
				new_call_session, new_timer_session, new_wait_session = call, timer, wait
			end,
			set_timer_create = function(create)
				timer_create = create or co_create
			end,
			set_unknown_handlers = function(request, response)
				unknown_request, unknown_response = request, response
			end,
			-- set by skynet.info_func, read by the debug command INFO
			info_func = nil,
		}
	end
	return internal
end

-- The rest of the API: lualib/skynet/lazy.lua returns an installer that adds its functions to
-- the skynet table and returns its helpers for this file (tracelog, trace_request, start_guard...).
local lazy_helpers
function lazy()
	local helpers = lazy_helpers
	if helpers == nil then
		helpers = require("skynet.lazy")(skynet, internals())
		lazy_helpers = helpers
	end
	return helpers
end

-- Reading a name the core does not have loads the rest of the API (a name that does not exist
-- there either stays nil, as in Skynet).
setmetatable(skynet, {
	__index = function(t, name)
		lazy()
		return rawget(t, name)
	end,
})

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

skynet.register_protocol {
	name = "error",
	id = skynet.PTYPE_ERROR,
	unpack = function(...) return ... end,
	dispatch = _error_dispatch,
}

-- The debug protocol (MEM, GC, STAT, TASK, INFO, RUN (inject), ...): the first debug message
-- loads lualib/skynet/debug.lua, whose dispatch function then replaces this one.
local function debug_dispatch(...)
	local dispatch = require("skynet.debug").init(skynet, internals())
	proto.debug.dispatch = dispatch
	return dispatch(...)
end

skynet.register_protocol {
	name = "debug",
	id = skynet.PTYPE_DEBUG,
	pack = c.pack,
	unpack = c.unpack,
	dispatch = debug_dispatch,
}

return skynet
