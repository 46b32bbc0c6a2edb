-- skynet.lua: the Lua API of a Skyhost service, compatible with Skynet v1.8.0.
--
-- Every Lua service requires this module. It turns the native callback of `skynet.core`
-- (one call per message) into Skynet's programming model: each request runs in a coroutine,
-- `skynet.call` parks that coroutine until the RESPONSE (or ERROR) carrying its session arrives,
-- timers and sleeps are sessions too, and `skynet.fork` queues coroutines that run once the
-- current message is done.
--
-- Layout of this file:
--   1. protocol classes (`proto`) and the bookkeeping tables of sessions and threads
--   2. session allocation, with a guard near the wrap of the session counter
--   3. trace log (Skynet's c.trace, written in Lua here)
--   4. the pool of worker coroutines, `suspend`, and the queues of woken / failed threads
--   5. message dispatch (`skynet.dispatch_message`)
--   6. the public API
--   7. skynet.request / select
--   8. default protocols, start-up, and the debug protocol (skynet.debug)
--
-- Inject (lualib/skynet/inject.lua) walks the upvalues of skynet.dispatch_message and
-- skynet.register_protocol and exposes the tables it finds by upvalue name, so the names of the
-- state tables below (`proto`, `session_id_coroutine`, `session_coroutine_id`,
-- `session_coroutine_address`, `unresponse`, `watching_session`, `sleep_session`, ...) are kept
-- as in Skynet: hotfix scripts written for Skynet look them up through `_U`.
--
-- Where Skyhost differs from Skynet 1.8 (on purpose):
--   * `skynet.core` has no `trace`: trace lines are formatted here and written with skynet.error,
--     in Skynet's shape `<TRACE tag> <ns> text : source:line ...`.
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
--   * skynet.cache is the native `skynet.codecache` module when the host has one, otherwise a stub:
--     Skyhost has no code cache, every load reads the file.
--   * skynet.killthread of a sleeping thread voids its timer ("BREAK") instead of forgetting the
--     session, which made Skynet log "Unknown session" when the timer fired.
--   * request:close() drops only the answers still to come (Skynet also marked failed calls whose
--     answer had arrived, leaving stale entries); an answer select cannot unpack counts as failed.
--   * Coroutines taken from the pool are handed their function through a table instead of an
--     extra resume; the observable behaviour is the same.

local c = require "skynet.core"
local skynet_require = require "skynet.require"

local type = type
local tostring = tostring
local select = select
local pairs = pairs
local next = next
local pcall = pcall
local xpcall = xpcall
local error = error
local assert = assert
local setmetatable = setmetatable
local format = string.format
local tpack = table.pack
local tunpack = table.unpack
local traceback = debug.traceback
local getinfo = debug.getinfo

local raw_resume = coroutine.resume
local coroutine_yield = coroutine.yield
local coroutine_create = coroutine.create
local coroutine_running = coroutine.running
local coroutine_close = coroutine.close

local csend = c.send
local cerror = c.error
local chpc = c.hpc
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

do	-- skynet.cache: no code cache in Skyhost unless the host provides one
	local ok, codecache = pcall(require, "skynet.codecache")
	if ok and type(codecache) == "table" then
		skynet.cache = codecache
	else
		local cache_mode = "OFF"
		skynet.cache = {
			clear = function() end,
			mode = function(m)
				local previous = cache_mode
				if m then cache_mode = m end
				return previous
			end,
		}
	end
end

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
-- Threads created by skynet.fork, run after the current message.
local fork_queue = {}
local fork_first, fork_last = 1, 0

---------------------------------------------------------------------------------------------------
-- 2. Sessions
--
-- The runtime hands out sessions from a counter that wraps back to 1 before 2^31. A session
-- still in use when the counter comes round again (a long sleep, a call that is never answered,
-- a skynet.wait token) must not be handed out twice. Far from the wrap, sessions come straight
-- from the runtime. From GUARD_FROM on, and after the wrap until the counter has passed every
-- session still in use, allocation is guarded: calls use an explicitly chosen free session, and
-- before a timer (whose session the runtime picks) the counter is stepped past busy ones.

local GUARD_FROM = 0x7ff00000
local SESSION_TOP = 0x7fffffff

local new_call_session	-- (addr, ptype, msg, sz) -> session | nil: sends a request
local new_timer_session	-- (ti) -> session: starts a timer
local new_wait_session	-- () -> session: a session nothing will answer (skynet.wait)

do
	local cgenid = c.genid
	local cintcommand = c.intcommand
	local guard_last = 0	-- last session seen while guarding
	local guard_tail = 0	-- after a wrap: the highest session below GUARD_FROM still in use

	local start_guard, stop_guard

	local function fast_call(addr, ptype, msg, sz)
		local session = csend(addr, ptype, nil, msg, sz)
		if session and session >= GUARD_FROM then
			start_guard(session)
		end
		return session
	end

	local function fast_timer(ti)
		local session = cintcommand("TIMEOUT", ti)
		if session >= GUARD_FROM then
			start_guard(session)
		end
		return session
	end

	local function fast_wait()
		local session = cgenid()
		if session >= GUARD_FROM then
			start_guard(session)
		end
		return session
	end

	-- Every session allocated while guarding goes through here.
	local function seen(session)
		if session < guard_last then	-- the counter wrapped
			local highest = 0
			for s in pairs(session_id_coroutine) do
				if s < GUARD_FROM and s > highest then
					highest = s
				end
			end
			guard_tail = highest
		end
		guard_last = session
		if session < GUARD_FROM and session > guard_tail then
			stop_guard()
		end
		return session
	end

	local function free_session()
		local session = cgenid()
		while session_id_coroutine[session] ~= nil do
			seen(session)
			session = cgenid()
		end
		return seen(session)
	end

	local function guarded_call(addr, ptype, msg, sz)
		return csend(addr, ptype, free_session(), msg, sz)
	end

	local function guarded_timer(ti)
		-- The runtime gives the timer the session after the current one: make sure it is free.
		while true do
			local session = seen(cgenid())
			local upcoming = session + 1
			if session_id_coroutine[upcoming] == nil
				and (upcoming < SESSION_TOP or session_id_coroutine[1] == nil) then
				break
			end
		end
		return seen(cintcommand("TIMEOUT", ti))
	end

	local function guarded_wait()
		return free_session()
	end

	function start_guard(session)
		guard_last = session
		guard_tail = 0
		new_call_session = guarded_call
		new_timer_session = guarded_timer
		new_wait_session = guarded_wait
	end

	function stop_guard()
		new_call_session = fast_call
		new_timer_session = fast_timer
		new_wait_session = fast_wait
	end

	stop_guard()
end

---------------------------------------------------------------------------------------------------
-- 3. Trace log
--
-- Skynet's native c.trace(tag, text [, thread] [, level]); skynet.core has none, so the line is
-- built here. Levels count as in the C version: 0 is the trace function itself, 1 its caller.

local MAX_TRACE_LEVELS = 3

local function tracelog(tag, text, a, b)
	tag, text = tostring(tag), tostring(text)
	if a == nil then
		cerror(format("<TRACE %s> %d %s", tag, chpc(), text))
		return
	end
	local thread, level
	if type(a) == "thread" then
		thread, level = a, b or 1
	else
		level = a
	end
	local places = {}
	while #places < MAX_TRACE_LEVELS do
		local info
		if thread then
			info = getinfo(thread, level, "Sl")
		else
			info = getinfo(level + 1, "Sl")	-- +1: getinfo counts tracelog as level 1
		end
		if info == nil then
			break
		end
		if info.currentline >= 0 then
			places[#places + 1] = info.source .. ":" .. info.currentline
		end
		level = level + 1
	end
	if #places == 0 then
		cerror(format("<TRACE %s> %d %s", tag, chpc(), text))
	else
		cerror(format("<TRACE %s> %d %s : %s", tag, chpc(), text, table.concat(places, " ")))
	end
end

---------------------------------------------------------------------------------------------------
-- 4. Worker coroutines, suspend, and the ready queues

local suspend	-- function(co, ok, command): see below

-- Idle workers, most recent on top. Weak: the collector may take idle ones back.
local coroutine_pool = setmetatable({}, { __mode = "v" })
local pool_size = 0
-- The task handed to an idle worker, until the worker picks it up on its next resume.
local pending_task = setmetatable({}, { __mode = "k" })

-- Runs the task given to `co` with the arguments of the resume that woke it.
local function run_pending(co, ...)
	local task = pending_task[co]
	pending_task[co] = nil
	task(...)
	return task
end

-- After a task that left something behind: a request left unanswered is reported, the
-- thread's request state is dropped.
local function finish_task(co, task)
	local session = session_coroutine_id[co]
	if session ~= nil then
		if session ~= 0 then
			local where = getinfo(task, "S")
			cerror(format("Maybe forgot response session %s from %s : %s:%d", session,
				skynet.address(session_coroutine_address[co]), where.source, where.linedefined))
		end
		session_coroutine_id[co] = nil
	end
	local tag = session_coroutine_tracetag[co]
	if tag ~= nil then
		if tag then
			tracelog(tag, "end")
		end
		session_coroutine_tracetag[co] = nil
	end
end

local function new_worker(first_task)
	local co
	co = coroutine_create(function(...)
		local task = first_task
		first_task = nil
		task(...)
		while true do
			-- (inline: the common case is a request answered, no trace)
			if session_coroutine_id[co] ~= nil or session_coroutine_tracetag[co] ~= nil then
				finish_task(co, task)
			end
			if session_coroutine_address[co] ~= nil then
				session_coroutine_address[co] = nil
			end
			task = nil
			pool_size = pool_size + 1
			coroutine_pool[pool_size] = co
			-- Idle until given a task: the next resume carries the task's arguments.
			task = run_pending(co, coroutine_yield "SUSPEND")
		end
	end)
	return co
end

-- A suspended thread that runs `task(...)` with the arguments of its first resume.
local function co_create(task)
	while pool_size > 0 do
		local co = coroutine_pool[pool_size]
		coroutine_pool[pool_size] = nil
		pool_size = pool_size - 1
		if co then
			pending_task[co] = task
			return co
		end
	end
	return new_worker(task)
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
					tracelog(tag, "resume")
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
				tracelog(tag, "error")
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
-- 5. Dispatch

local function unknown_request(session, address, msg, sz, prototype)
	cerror(format("Unknown request (%s): %s", prototype, tostring(c.tostring(msg, sz))))
	error(format("Unknown session : %d from %x", session, address))
end

function skynet.dispatch_unknown_request(handler)
	local previous = unknown_request
	unknown_request = handler
	return previous
end

local function unknown_response(session, address, msg, sz)
	cerror(format("Response message : %s", tostring(c.tostring(msg, sz))))
	error(format("Unknown session : %d from %x", session, address))
end

function skynet.dispatch_unknown_response(handler)
	local previous = unknown_response
	unknown_response = handler
	return previous
end

-- True from just before a request's payload is unpacked until its thread starts: if the unpack
-- raises, dispatch_message answers the caller with an ERROR.
local unpacking = false

-- Starts the thread serving a request; the arguments after `source` are the unpacked payload.
local function serve_request(handler, class, session, source, ...)
	unpacking = false
	local co
	if pool_size > 0 then	-- (co_create, inline for the common case)
		co = coroutine_pool[pool_size]
		coroutine_pool[pool_size] = nil
		pool_size = pool_size - 1
		if co then
			pending_task[co] = handler
		else
			co = co_create(handler)
		end
	else
		co = co_create(handler)
	end
	session_coroutine_id[co] = session
	session_coroutine_address[co] = source
	local traceflag = class.trace
	if traceflag == false then	-- tracing forced off for this protocol
		trace_source[source] = nil
		session_coroutine_tracetag[co] = false
	else
		local tag = trace_source[source]
		if tag then
			trace_source[source] = nil
			tracelog(tag, "request")
			session_coroutine_tracetag[co] = tag
		elseif traceflag then	-- forced on: trace every request
			running_thread = co
			skynet.trace()
		end
	end
	running_thread = co
	return co, raw_resume(co, session, source, ...)
end

local function raw_dispatch_message(prototype, msg, sz, session, source)
	if prototype == PTYPE_RESPONSE then
		local co = session_id_coroutine[session]
		if co == "BREAK" then
			session_id_coroutine[session] = nil
		elseif co == nil then
			unknown_response(session, source, msg, sz)
		else
			local tag = session_coroutine_tracetag[co]
			if tag then
				tracelog(tag, "resume")
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
			unknown_request(session, source, msg, sz, prototype)
		end
		return
	end
	local handler = class.dispatch
	if handler == nil then
		trace_source[source] = nil
		if session ~= 0 then
			csend(source, PTYPE_ERROR, session, "")
		else
			unknown_request(session, source, msg, sz, class.name)
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
		local fork_ok, fork_err = pcall(suspend, co, coroutine_resume(co))
		if not fork_ok then
			if ok then
				ok, err = false, tostring(fork_err)
			else
				err = tostring(err) .. "\n" .. tostring(fork_err)
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
-- 6. Public API

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

function skynet.harbor(addr)
	return (addr >> 24) & 0xff, false
end

skynet.now = c.now
skynet.hpc = c.hpc	-- high-resolution counter, nanoseconds

local starttime
function skynet.starttime()
	if not starttime then
		starttime = c.intcommand("STARTTIME")
	end
	return starttime
end

function skynet.time()
	return skynet.now() / 100 + (starttime or skynet.starttime())
end

skynet.error = cerror
skynet.tracelog = tracelog

function skynet.getenv(key)
	return (c.command("GETENV", key))
end

function skynet.setenv(key, value)
	assert(c.command("GETENV", key) == nil, "Can't setenv exist key : " .. key)
	c.command("SETENV", key .. " " .. value)
end

skynet.genid = c.genid
skynet.pack = c.pack
skynet.packstring = c.packstring
skynet.unpack = c.unpack
skynet.tostring = c.tostring
skynet.trash = c.trash

function skynet.send(addr, typename, ...)
	local p = proto[typename]
	return csend(addr, p.id, 0, p.pack(...))
end

function skynet.rawsend(addr, typename, msg, sz)
	local p = proto[typename]
	return csend(addr, p.id, 0, msg, sz)
end

function skynet.redirect(dest, source, typename, ...)
	return c.redirect(dest, source, proto[typename].id, ...)
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

local function trace_call(tag, addr, level)
	tracelog(tag, "call", level)
	csend(addr, PTYPE_TRACE, 0, tag)
end

function skynet.call(addr, typename, ...)
	local tag = session_coroutine_tracetag[running_thread]
	if tag then
		trace_call(tag, addr, 3)
	end
	local p = proto[typename]
	local session = new_call_session(addr, p.id, p.pack(...))
	if session == nil then
		error("call to invalid address " .. skynet.address(addr))
	end
	return p.unpack(wait_response(addr, session))
end

function skynet.rawcall(addr, typename, msg, sz)
	local tag = session_coroutine_tracetag[running_thread]
	if tag then
		trace_call(tag, addr, 3)
	end
	local p = proto[typename]
	local session = new_call_session(addr, p.id, msg, sz)
	if session == nil then
		error("call to invalid address " .. skynet.address(addr))
	end
	return wait_response(addr, session)
end

function skynet.tracecall(tag, addr, typename, msg, sz)
	tracelog(tag, "tracecall begin")
	csend(addr, PTYPE_TRACE, 0, tag)
	local p = proto[typename]
	local session = new_call_session(addr, p.id, msg, sz)
	if session == nil then
		error("call to invalid address " .. skynet.address(addr))
	end
	local rmsg, rsz = wait_response(addr, session)
	tracelog(tag, "tracecall end")
	return rmsg, rsz
end

function skynet.ret(msg, sz)
	msg = msg or ""
	local co = running_thread
	local tag = session_coroutine_tracetag[co]
	if tag then
		tracelog(tag, "response")
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
		tracelog(tag, "sleep", 2)
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
		co = co_create(function() func(tunpack(args, 1, n)) end)
	end
	fork_last = fork_last + 1
	fork_queue[fork_last] = co
	return co
end

-- Timers: skynet.trace_timeout(true) records where each timer was set, for skynet.task.
local timer_create = co_create
local timeout_traceback = nil	-- thread -> traceback at skynet.timeout, while tracing

function skynet.trace_timeout(on)
	if on then
		timeout_traceback = timeout_traceback or setmetatable({}, { __mode = "k" })
		timer_create = function(func, ti)
			local co
			co = co_create(function()
				timeout_traceback[co] = nil
				func()
			end)
			timeout_traceback[co] = traceback(format("TIMER %d+%d : ", skynet.now(), ti), 3)
			return co
		end
	else
		timeout_traceback = nil
		timer_create = co_create
	end
end

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

-- true: trace every request of this protocol; false: never; nil: only after skynet.trace().
function skynet.traceproto(prototype, flag)
	local p = assert(proto[prototype], "unknown protocol")
	p.trace = flag
end

local trace_serial = 0
function skynet.trace(info)
	local co = running_thread
	if session_coroutine_tracetag[co] == false then	-- forced off
		return
	end
	trace_serial = trace_serial + 1
	local tag = format(":%08x-%d", cself(), trace_serial)
	session_coroutine_tracetag[co] = tag
	if info then
		tracelog(tag, "trace " .. tostring(info))
	else
		tracelog(tag, "trace")
	end
end

function skynet.tracetag()
	return session_coroutine_tracetag[running_thread]
end

function skynet.killthread(thread)
	local session
	if type(thread) == "string" then	-- part of the thread's name, as printed by `task`
		for s, co in pairs(session_id_coroutine) do
			if tostring(co):find(thread, 1, true) then
				session = s
				break
			end
		end
	else
		for i = fork_first, fork_last do	-- a fork that has not run yet
			if fork_queue[i] == thread then
				table.move(fork_queue, i + 1, fork_last, i)
				fork_queue[fork_last] = nil
				fork_last = fork_last - 1
				return thread
			end
		end
		for s, co in pairs(session_id_coroutine) do
			if co == thread then
				session = s
				break
			end
		end
	end
	local co = session and session_id_coroutine[session]
	if type(co) ~= "thread" then
		return
	end
	local address = session_coroutine_address[co]
	if address then	-- it serves a request: fail it
		session_coroutine_address[co] = nil
		session_coroutine_tracetag[co] = nil
		local request = session_coroutine_id[co]
		if request and request > 0 then
			csend(address, PTYPE_ERROR, request, "")
		end
		session_coroutine_id[co] = nil
	end
	-- An answer (or a timer) may still come for the session: it is to be dropped.
	-- (Skynet forgets a sleep's session here, and logs "Unknown session" when its timer fires.)
	local answer_due = watching_session[session] ~= nil
	watching_session[session] = nil
	for token, s in pairs(sleep_session) do
		if s == session then
			sleep_session[token] = nil
			answer_due = not wait_session[session]
			wait_session[session] = nil
			break
		end
	end
	session_id_coroutine[session] = answer_due and "BREAK" or nil
	coroutine_close(co)
	return co
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

function skynet.term(service)
	return _error_dispatch(0, service)
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

function skynet.newservice(name, ...)
	return skynet.call(".launcher", "lua", "LAUNCH", "snlua", name, ...)
end

function skynet.uniqueservice(name, ...)
	if name == true then
		return assert(skynet.call(".service", "lua", "GLAUNCH", ...))
	end
	return assert(skynet.call(".service", "lua", "LAUNCH", name, ...))
end

function skynet.queryservice(name, ...)
	if name == true then
		return assert(skynet.call(".service", "lua", "GQUERY", ...))
	end
	return assert(skynet.call(".service", "lua", "QUERY", name, ...))
end

-- Names. A ".name" is local to the node; any other name is global and goes through .cslave
-- (cdummy in a single node), as Skynet's skynet.harbor.globalname does.
local function global_name(name, handle)
	assert(#name < 16, "global name is too long")	-- Skynet's GLOBALNAME_LENGTH
	assert(tonumber(name) == nil, "global name can't be a number")
	skynet.send(".cslave", "lua", "REGISTER", name, handle or cself())
end

function skynet.register(name)
	local first = name:sub(1, 1)
	assert(first ~= ":", "can't register a name starting with ':'")
	if first == "." then
		c.command("REG", name)
	else
		global_name(name)
	end
end

function skynet.name(name, handle)
	local first = name:sub(1, 1)
	assert(first ~= ":", "can't register a name starting with ':'")
	if first == "." then
		c.command("NAME", name .. " " .. skynet.address(handle))
	else
		global_name(name, handle)
	end
end

function skynet.endless()
	return c.intcommand("STAT", "endless") == 1
end

function skynet.mqlen()
	return c.intcommand("STAT", "mqlen")
end

function skynet.stat(what)
	return c.intcommand("STAT", what)
end

function skynet.memlimit(bytes)
	c.memlimit(bytes)
	skynet.memlimit = nil	-- only once
end

local function thread_traceback(co)
	if co == "BREAK" then
		return co
	end
	local recorded = timeout_traceback and timeout_traceback[co]
	if recorded then
		return recorded
	end
	return traceback(co)
end

-- skynet.task(): number of parked threads; (table): fill it with their tracebacks;
-- (session): traceback of the thread waiting on it; (thread): its session; ("init"): the
-- traceback of the start function while it runs.
function skynet.task(what)
	if what == nil then
		local n = 0
		for _, co in pairs(session_id_coroutine) do
			if co ~= "BREAK" then
				n = n + 1
			end
		end
		return n
	end
	if what == "init" then
		if init_thread then
			return traceback(init_thread)
		end
		return
	end
	local kind = type(what)
	if kind == "table" then
		for session, co in pairs(session_id_coroutine) do
			what[format("%s session: %d", tostring(co), session)] = thread_traceback(co)
		end
	elseif kind == "number" then
		local co = session_id_coroutine[what]
		if co then
			return thread_traceback(co)
		end
		return "No session"
	elseif kind == "thread" then
		for session, co in pairs(session_id_coroutine) do
			if co == what then
				return session
			end
		end
	end
end

-- Parked threads grouped by identical traceback: { ["<n>\tsessions:[...]\n"] = traceback }.
function skynet.uniqtask()
	local groups = {}
	for session, co in pairs(session_id_coroutine) do
		local stack = thread_traceback(co)
		local group = groups[stack]
		if not group then
			group = { count = 0, sessions = {} }
			groups[stack] = group
		end
		group.count = group.count + 1
		if group.count < 10 then
			group.sessions[#group.sessions + 1] = session
		end
	end
	local result = {}
	for stack, group in pairs(groups) do
		local list = table.concat(group.sessions, ",")
		if group.count > 10 then
			list = list .. "..."
		end
		result[format("%d\tsessions:[%s]\n", group.count, list)] = stack
	end
	return result
end

-- Replaced by skynet.debug's version (which the INFO debug command reads).
function skynet.info_func(func)
	skynet._info_func = func
end

---------------------------------------------------------------------------------------------------
-- 7. skynet.request: several calls at once
--
--   local req = skynet.request { addr, "lua", ... } { addr2, "lua", ... }   -- or req:add {...}
--   for req, resp in req:select(timeout) do ... end
-- resp is table.pack of the answer, false if the call failed, nil if the address was invalid.
-- After a timeout the loop ends and req.timeout is true. Leaving the loop early (break, error)
-- closes the request: the answers still to come are dropped.

do
	local request_meta = {}
	request_meta.__index = request_meta

	function request_meta:add(obj)
		assert(type(obj) == "table" and not self._collector, "request:add needs a table, before select")
		self[#self + 1] = obj
		return self
	end

	request_meta.__call = request_meta.add

	local function unpack_answer(unpack, msg, sz)
		return tpack(unpack(msg, sz))
	end

	-- The thread every answer of one select is delivered to.
	local function collect(self)
		while true do
			local ok, msg, sz, session = coroutine_yield "SUSPEND"
			if session == self._timer then
				self._timer = nil
				self.timeout = true
			else
				watching_session[session] = nil
				local req = self._by_session[session]
				local answer = false
				if ok and req then
					local unpacked, values = pcall(unpack_answer, proto[req[2]].unpack, msg, sz)
					if unpacked then
						answer = values
					end
				end
				self._answers[session] = answer
			end
			skynet.wakeup(self)
		end
	end

	local function answers(self)
		return function()
			local invalid = self._invalid
			if invalid then
				local req = table.remove(invalid)
				if req then
					return req
				end
				self._invalid = nil
			end
			local answered = self._answers
			local session, resp = next(answered)
			while session == nil do
				if self._pending == 0 or self.timeout then
					return
				end
				skynet.wait(self)
				session, resp = next(answered)
			end
			self._pending = self._pending - 1
			answered[session] = nil
			local req = self._by_session[session]
			self._by_session[session] = nil
			return req, resp
		end
	end

	function request_meta:select(timeout)
		assert(self._collector == nil, "select can be called only once")
		local collector = coroutine_create(collect)
		self._collector = collector
		local by_session = {}
		local invalid = nil
		local pending = 0
		for i = 1, #self do
			local req = self[i]
			local addr = req[1]
			local p = proto[req[2]]
			assert(p and p.unpack, "request to a protocol without unpack")
			local tag = session_coroutine_tracetag[running_thread]
			if tag then
				trace_call(tag, addr, 3)
			end
			local session = new_call_session(addr, p.id, p.pack(tunpack(req, 3, req.n)))
			if session == nil then
				invalid = invalid or {}
				invalid[#invalid + 1] = req
			else
				by_session[session] = req
				watching_session[session] = addr
				session_id_coroutine[session] = collector
				pending = pending + 1
			end
		end
		self._by_session = by_session
		self._invalid = invalid
		self._answers = {}
		self._pending = pending
		if timeout then
			local session = new_timer_session(timeout)
			self._timer = session
			session_id_coroutine[session] = collector
		end
		local current = running_thread
		coroutine_resume(collector, self)	-- runs up to its first yield
		running_thread = current
		return answers(self), nil, nil, self
	end

	function request_meta:close()
		local pending = self._pending
		if pending and pending > 0 then
			local answered = self._answers
			for session in pairs(self._by_session) do
				if answered[session] == nil then
					session_id_coroutine[session] = "BREAK"
					watching_session[session] = nil
				end
			end
			self._pending = 0
		end
		if self._timer then
			session_id_coroutine[self._timer] = "BREAK"
			self._timer = nil
		end
	end

	request_meta.__close = request_meta.close

	function skynet.request(obj)
		local req = setmetatable({}, request_meta)
		if obj then
			return req(obj)
		end
		return req
	end
end

---------------------------------------------------------------------------------------------------
-- 8. Default protocols, start-up, debug

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

skynet.init = skynet_require.init
skynet.pcall = pcall	-- deprecated in Skynet; pcall works across yields

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

-- The debug protocol (MEM, GC, STAT, TASK, INFO, RUN (inject), ...).
local debug = require "skynet.debug"
debug.init(skynet, {
	dispatch = skynet.dispatch_message,
	suspend = suspend,
	resume = coroutine_resume,
})

return skynet
