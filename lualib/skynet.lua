-- skynet.lua: the Lua API of a Skyhost service, compatible with Skynet v1.8.0.
--
-- This file is the message loop: the native callback of `skynet.core` (one call per message)
-- becomes Skynet's programming model. Each request runs in a coroutine from a pool, `skynet.call`
-- parks that coroutine until the RESPONSE (or ERROR) carrying its session arrives, timers and
-- sleeps are sessions too, and forked threads run once the current message is done. It declares
-- every piece of the API's state and every constant; the rest of the API lives in
-- lualib/skynet/api/, one file per subject, and `api` below says which name comes from which
-- file. A file is loaded the first time a service reads one of its names: Skyhost runs stock Lua,
-- which cannot share compiled code between states, so an idle service holds only this file.
--
-- The state tables keep Skynet's names (`proto`, `session_id_coroutine`, ...): inject's `_U`
-- finds them among the upvalues of skynet.dispatch_message and skynet.register_protocol, and in
-- `internal`, so hotfixes written for Skynet work unchanged. docs/skynet-differences.md lists
-- where Skyhost behaves differently from Skynet on purpose.

local c = require "skynet.core"
local skynet_require = require "skynet.require"

local csend = c.send
local raw_resume = coroutine.resume
local coroutine_yield = coroutine.yield

local PTYPE_RESPONSE <const> = 1
local PTYPE_ERROR <const> = 7

local skynet = {
	PTYPE_TEXT = 0,
	PTYPE_RESPONSE = PTYPE_RESPONSE,
	PTYPE_MULTICAST = 2,
	PTYPE_CLIENT = 3,
	PTYPE_SYSTEM = 4,
	PTYPE_HARBOR = 5,
	PTYPE_SOCKET = 6,
	PTYPE_ERROR = PTYPE_ERROR,
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

-- Which file of lualib/skynet/api/ defines each name that this file does not: file -> names.
local api = {
	call = " dispatch send rawsend call rawcall tracecall ret retpack response context ignoreret redirect ",
	timer = " sleep yield wait wakeup starttime time ",
	naming = " address localname register name harbor ",
	launch = " newservice uniqueservice queryservice ",
	exit = " exit term ",
	trace = " trace tracetag traceproto tracelog ",
	request = " request ",
	task = " task uniqtask killthread trace_timeout ",
	env = " getenv setenv endless mqlen stat memlimit info_func cache pcall ",
	unknown = " dispatch_unknown_request dispatch_unknown_response ",
	reload = " on_reload reloaded ",
}

---------------------------------------------------------------------------------------------------
-- State
--
-- `internal` is what the files of lualib/skynet/api/ and lualib/skynet/debug.lua see of this one:
-- the state tables below (under their own names), the functions listed at the end, and fields
--   running_thread   the skynet thread (request handler, timer, fork...) whose code runs now;
--       coroutines of skynet.coroutine run inside it and do not change it, so skynet.ret and
--       friends find the request of the enclosing skynet thread
--   init_thread   the thread running the start function, while it runs
--   guard_send, guard_timer, guard_genid   while sessions near the wrap of the counter are
--       guarded (api/session_guard.lua): replacements for c.send, c.intcommand and c.genid
--   timer_create(func, ti)   while skynet.trace_timeout is on: makes the thread of a timer
--   info_func   set by skynet.info_func, called by the debug command INFO
local internal = {}

local proto = {}	-- protocol classes, by name and by id
skynet._proto = proto

local session_id_coroutine = {}	-- session I wait on -> thread, or "BREAK" (drop its answer)
local session_coroutine_id = {}	-- thread serving a request -> the request's session
local session_coroutine_address = {}	-- thread serving a request -> the requester
local session_coroutine_tracetag = {}	-- thread -> trace tag (false: tracing forced off)
local trace_source = {}	-- address -> trace tag announced (PTYPE_TRACE) for its next request
local unresponse = {}	-- response closure (skynet.response) -> requester, until used
local watching_session = {}	-- session of a pending call -> the callee
local sleep_session = {}	-- token of a sleep / wait -> its session
local wait_session = {}	-- sessions of skynet.wait (no answer will ever come for them)

-- The ready queues. Each is a sequence that only grows (q[#q + 1] = x) until the loop has
-- consumed every entry and empties it; an entry consumed (or withdrawn by skynet.killthread /
-- skynet.exit) is false, so that the sequence stays whole.
local wakeup_queue = {}	-- tokens passed to skynet.wakeup
local error_queue = {}	-- sessions of calls that failed (ERROR received, or the callee is gone)
local fork_queue = {}	-- threads created by skynet.fork, run after the current message

-- Sessions come from a counter that wraps back to 1 before 2^31. From GUARD_FROM on,
-- api/session_guard.lua guards the allocation until the counter has wrapped and passed every
-- session still in use, so that a session still waited on is never handed out twice.
local GUARD_FROM <const> = 0x7ff00000
internal.GUARD_FROM = GUARD_FROM

-- The files of lualib/skynet/api/: each is run once, with (skynet, internal), and returns its
-- helpers for the loop. While it runs, it must not read a name that skynet does not define yet.
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

-- Every session the runtime picks passes through here.
local function checked(session)
	if session and session >= GUARD_FROM then
		part("skynet.api.session_guard").start_guard(session)
	end
	return session
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
			part("skynet.api.unknown").forgot_response(co, task, session)
		end
		session_coroutine_id[co] = nil
	end
	if session_coroutine_tracetag[co] ~= nil then
		part("skynet.api.trace").trace_end(co)
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

-- An idle worker from the pool (an entry the collector took is nil: then a new one).
local function idle_worker()
	local co
	if pool_size > 0 then
		co = coroutine_pool[pool_size]
		coroutine_pool[pool_size] = nil
		pool_size = pool_size - 1
	end
	return co or coroutine.create(worker)
end

-- The task of a worker made by co_create: runs f with the arguments of the worker's next resume.
local function deferred(f)
	return f(coroutine_yield "SUSPEND")
end

-- A suspended thread that runs `f(...)` with the arguments of its next resume.
local function co_create(f)
	local co = idle_worker()
	raw_resume(co, deferred, f)	-- (does not change internal.running_thread)
	return co
end

---------------------------------------------------------------------------------------------------
-- Suspend: what happens when a resumed thread yields, raises or ends

-- Called with a thread and the results of resuming it. "SUSPEND" means the thread is parked (or
-- back in the pool); then the threads made ready meanwhile (by skynet.wakeup, or a call that
-- failed) run, one after the other, each time the previous one parks. A resume that did not end
-- in "SUSPEND" (the thread raised, exited, or yielded something odd), and the ready queues, are
-- handled by lualib/skynet/resume.lua, loaded the first time one happens.
local function suspend(co, ok, command)
	while true do
		if command ~= "SUSPEND" or not ok then
			return part("skynet.resume").ended(co, ok, command)
		end
		if wakeup_queue[1] == nil and error_queue[1] == nil then
			return
		end
		co, ok, command = part("skynet.resume").next_ready()
		if co == nil then
			return
		end
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
	local co = idle_worker()
	session_coroutine_id[co] = session
	session_coroutine_address[co] = source
	if class.trace ~= nil or trace_source[source] ~= nil then
		part("skynet.api.trace").trace_request(co, class.trace, source)
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
			return part("skynet.api.unknown").stray(prototype, msg, sz, session, source)
		else
			local tag = session_coroutine_tracetag[co]
			if tag then
				skynet.tracelog(tag, "resume")
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
		return part("skynet.api.unknown").stray(prototype, msg, sz, session, source, class)
	end
	unpacking = true
	return suspend(serve_request(handler, class, session, source, class.unpack(msg, sz)))
end

-- Runs the forked threads queued so far (and those they fork), merging their errors into those
-- of the message (ok, err); returns the merged (ok, err).
local function run_forks(ok, err)
	local i = 1
	local co = fork_queue[1]
	while co ~= nil do
		if co then
			fork_queue[i] = false
			internal.running_thread = co
			local fork_ok, fork_err = pcall(suspend, co, raw_resume(co))
			if not fork_ok then
				if ok then
					ok, err = false, tostring(fork_err)
				else
					err = tostring(err) .. "\n" .. tostring(fork_err)
				end
			end
		end
		i = i + 1
		co = fork_queue[i]
	end
	for j = i - 1, 1, -1 do
		fork_queue[j] = nil
	end
	return ok, err
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
		ok, err = run_forks(ok, err)
	end
	if not ok then
		error(tostring(err), 0)
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
	fork_queue[#fork_queue + 1] = co
	return co
end

-- ERROR messages: session N = the call with session N failed; session 0 = the sender is gone
-- (then the responses it waits for are void and the calls waiting on it fail).
local function error_dispatch(error_session, error_source)
	session_coroutine_id[internal.running_thread] = nil	-- (skynet.ignoreret)
	if error_session == 0 then
		for respond, address in pairs(unresponse) do
			if address == error_source then
				unresponse[respond] = nil
			end
		end
		for session, address in pairs(watching_session) do
			if address == error_source then
				error_queue[#error_queue + 1] = session
			end
		end
	elseif watching_session[error_session] then
		error_queue[#error_queue + 1] = error_session
	end
end

---------------------------------------------------------------------------------------------------
-- Timers and the start of a service

function skynet.timeout(ti, func)
	local session = checked((internal.guard_timer or c.intcommand)("TIMEOUT", ti))
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
	if c.reloaded() then	-- started by a reload in place: the reload is told, not the launcher
		return part("skynet.api.reload").started(ok, err)
	end
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
-- Default protocols

skynet.register_protocol {
	name = "lua",
	id = skynet.PTYPE_LUA,
	pack = c.pack,
	unpack = c.unpack,
}

skynet.register_protocol {
	name = "response",
	id = PTYPE_RESPONSE,
}

skynet.register_protocol {
	name = "error",
	id = PTYPE_ERROR,
	unpack = function(...) return ... end,
	dispatch = error_dispatch,
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

---------------------------------------------------------------------------------------------------
-- The internals, and the names of lualib/skynet/api/

internal.c = c	-- (so that inject's _U.c is skynet.core, as in Skynet)
internal.proto = proto
internal.session_id_coroutine = session_id_coroutine
internal.session_coroutine_id = session_coroutine_id
internal.session_coroutine_address = session_coroutine_address
internal.session_coroutine_tracetag = session_coroutine_tracetag
internal.trace_source = trace_source
internal.unresponse = unresponse
internal.watching_session = watching_session
internal.sleep_session = sleep_session
internal.wait_session = wait_session
internal.wakeup_queue = wakeup_queue
internal.error_queue = error_queue
internal.fork_queue = fork_queue
internal.co_create = co_create
internal.error_dispatch = error_dispatch
internal.checked = checked
internal.part = part

setmetatable(skynet, {
	__index = function(t, name)
		if type(name) ~= "string" then
			return nil
		end
		local key = " " .. name .. " "
		for file, names in pairs(api) do
			if names:find(key, 1, true) then
				part("skynet.api." .. file)
				return rawget(t, name)
			end
		end
	end,
})

return skynet
