-- skynet.lazy: the everyday part of skynet's API, which the core (lualib/skynet.lua) leaves out
-- so that an idle service stays small: Skyhost runs stock Lua, which cannot share compiled
-- functions between states, so every service holds its own copy of all the code it loads.
--
-- skynet.lua runs this file once, the first time a service reads a name the core does not
-- define (or when its message loop needs more than the core has), as chunk(skynet, internal): it
-- adds the functions below to the skynet table and returns its helpers for the core. `internal`
-- is skynet.lua's table of internals (state tables, ready queues, running_thread...; see the top
-- of skynet.lua). It is not a module to require. What ordinary services use rarely (exit,
-- register, rawcall, stat, memlimit, trace, task, request...) is in lazy_rare.lua.
--
-- Added: dispatch, send, rawsend, call, ret, retpack, response, context, ignoreret, sleep,
-- yield, wait, wakeup, fork, address, getenv, newservice, uniqueservice, queryservice,
-- starttime, time.
-- Helpers for the core: suspend(co, ok, command) for a resume that did not end in "SUSPEND" or
-- when a ready queue is not empty, run_forks(ok, err) when a fork is queued, and error_dispatch,
-- the dispatch function of the error protocol.
-- Behaviour as Skynet 1.8, with the differences listed at the top of skynet.lua.

local skynet, internal = ...
assert(type(internal) == "table", "skynet.lazy is loaded by skynet.lua, not by require")

local c = require "skynet.core"
local csend = c.send
local format = string.format
local coroutine_yield = coroutine.yield

local PTYPE_RESPONSE <const> = 1
local PTYPE_ERROR <const> = 7

local proto = internal.proto
local session_id_coroutine = internal.session_id_coroutine
local session_coroutine_id = internal.session_coroutine_id
local session_coroutine_address = internal.session_coroutine_address
local session_coroutine_tracetag = internal.session_coroutine_tracetag
local wakeup_queue = internal.wakeup_queue
local error_queue = internal.error_queue
local fork_queue = internal.fork_queue
local co_create = internal.co_create
local part = internal.part

-- State that only this file's functions (and lazy_rare.lua) use.
local unresponse = {}	-- response closure (skynet.response) -> requester, until used
local watching_session = {}	-- session of a pending call -> the callee
local sleep_session = {}	-- token of a sleep / wait -> its session
local wait_session = {}	-- sessions of skynet.wait (no answer will ever come for them)
internal.unresponse = unresponse
internal.watching_session = watching_session
internal.sleep_session = sleep_session
internal.wait_session = wait_session

-- The sessions the runtime picks for sleep, wait, request, rawcall and tracecall pass through
-- here (skynet.call below and the core's skynet.timeout inline the same test).
local GUARD_FROM <const> = 0x7ff00000
local function checked(session)
	if session and session >= GUARD_FROM then
		part("skynet.lazy_rare").start_guard(session)
	end
	return session
end
internal.checked = checked

local helpers = {}

---------------------------------------------------------------------------------------------------
-- Protocols, calls and answers

function skynet.dispatch(typename, func)
	local p = proto[typename]
	if func then
		local previous = p.dispatch
		p.dispatch = func
		return previous
	end
	return p and p.dispatch
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
	session_id_coroutine[session] = internal.running_thread
	local ok, msg, sz = coroutine_yield "SUSPEND"
	watching_session[session] = nil
	if not ok then
		error "call failed"
	end
	return msg, sz
end
internal.wait_response = wait_response

function skynet.call(addr, typename, ...)
	local tag = session_coroutine_tracetag[internal.running_thread]
	if tag then
		part("skynet.lazy_rare").trace_call(tag, addr, 3)
	end
	local p = proto[typename]
	local session = (internal.guard_send or csend)(addr, p.id, nil, p.pack(...))
	if session == nil then
		error("call to invalid address " .. skynet.address(addr))
	end
	if session >= GUARD_FROM then	-- (checked, inline)
		part("skynet.lazy_rare").start_guard(session)
	end
	return p.unpack(wait_response(addr, session))
end

-- (lualib/skynet/debug.lua has a copy, so that its commands do not load this file: keep in step)
function skynet.ret(msg, sz)
	msg = msg or ""
	local co = internal.running_thread
	local tag = session_coroutine_tracetag[co]
	if tag then
		part("skynet.lazy_rare").tracelog(tag, "response")
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

local function noop() end

function skynet.response(pack)
	pack = pack or skynet.pack
	local co = internal.running_thread
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

function skynet.context()
	local co = internal.running_thread
	return session_coroutine_id[co], session_coroutine_address[co]
end

function skynet.ignoreret()
	session_coroutine_id[internal.running_thread] = nil
end

---------------------------------------------------------------------------------------------------
-- Sleep, wait, wakeup, fork

-- Parks the running thread on `session` under `token` (for skynet.wakeup).
local function suspend_sleep(session, token)
	local co = internal.running_thread
	local tag = session_coroutine_tracetag[co]
	if tag then
		part("skynet.lazy_rare").tracelog(tag, "sleep", 2)
	end
	session_id_coroutine[session] = co
	if sleep_session[token] ~= nil then
		error("token duplicative", 2)
	end
	sleep_session[token] = session
	return coroutine_yield "SUSPEND"
end

function skynet.sleep(ti, token)
	local session = checked((internal.guard_timer or c.intcommand)("TIMEOUT", ti))
	token = token or coroutine.running()
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
	local session = checked((internal.guard_genid or c.genid)())
	token = token or coroutine.running()
	wait_session[session] = true
	suspend_sleep(session, token)
	wait_session[session] = nil
	sleep_session[token] = nil
	session_id_coroutine[session] = nil
end

function skynet.wakeup(token)
	if sleep_session[token] then
		wakeup_queue[#wakeup_queue + 1] = token
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
	fork_queue[#fork_queue + 1] = co
	return co
end

---------------------------------------------------------------------------------------------------
-- The rest of the message loop (called by the core)

local raw_resume = coroutine.resume
local core_suspend = internal.suspend

-- A resume that did not end in "SUSPEND".
local function resumed(co, ok, command)
	if not ok then	-- the thread raised: fail its request, if any, and raise the traceback
		local session = session_coroutine_id[co]
		if session then
			if session ~= 0 then
				local tag = session_coroutine_tracetag[co]
				if tag then
					part("skynet.lazy_rare").tracelog(tag, "error")
				end
				csend(session_coroutine_address[co], PTYPE_ERROR, session, "")
			end
			session_coroutine_id[co] = nil
		end
		session_coroutine_address[co] = nil
		session_coroutine_tracetag[co] = nil
		-- The raise leaves the ready queues undrained: an empty fork drains them afterwards.
		skynet.fork(noop)
		local message = debug.traceback(co, tostring(command))
		coroutine.close(co)
		error(message, 0)
	end
	if command == "QUIT" then	-- skynet.exit
		coroutine.close(co)
	elseif command == "USER" then
		error("Call skynet.coroutine.yield out of skynet.coroutine.resume\n" .. debug.traceback(co))
	elseif command ~= nil then	-- (nil: a bare coroutine.yield(), the thread stays parked)
		error("Unknown command : " .. tostring(command) .. "\n" .. debug.traceback(co))
	end
end

-- Where the ready queues have been read up to (see the core).
local wakeup_next, error_next = 1, 1

-- The core's suspend(co, ok, command), when the resume did not end in "SUSPEND" or a queue is not
-- empty: then the threads made ready run one after the other, each time the previous one parks.
function helpers.suspend(co, ok, command)
	while true do
		if command ~= "SUSPEND" or not ok then
			return resumed(co, ok, command)
		end
		co = nil
		repeat	-- the first woken thread that still sleeps
			local token = wakeup_queue[wakeup_next]
			if token == nil then
				break
			end
			wakeup_queue[wakeup_next] = false
			wakeup_next = wakeup_next + 1
			local session = sleep_session[token]
			if session then
				co = session_id_coroutine[session]
				if type(co) == "thread" then
					local tag = session_coroutine_tracetag[co]
					if tag then
						part("skynet.lazy_rare").tracelog(tag, "resume")
					end
					session_id_coroutine[session] = "BREAK"	-- its timer, if any, is now void
					internal.running_thread = co
					ok, command = raw_resume(co, false, "BREAK", nil, session)
				else
					co = nil
				end
			end
		until co
		while co == nil do	-- else the first failed call still waiting
			local session = error_queue[error_next]
			if session == nil then
				break
			end
			error_queue[error_next] = false
			error_next = error_next + 1
			co = session_id_coroutine[session]
			session_id_coroutine[session] = nil
			if type(co) == "thread" then
				internal.running_thread = co
				ok, command = raw_resume(co, false, nil, nil, session)
			else
				co = nil
			end
		end
		if co == nil then	-- both queues are consumed: empty them
			for i = wakeup_next - 1, 1, -1 do
				wakeup_queue[i] = nil
			end
			for i = error_next - 1, 1, -1 do
				error_queue[i] = nil
			end
			wakeup_next, error_next = 1, 1
			return
		end
	end
end

-- Runs the forked threads queued so far (and those they fork), merging their errors into those
-- of the message (ok, err); returns the merged (ok, err).
function helpers.run_forks(ok, err)
	local i = 1
	local co = fork_queue[1]
	while co ~= nil do
		if co then
			fork_queue[i] = false
			internal.running_thread = co
			local fork_ok, fork_err = pcall(core_suspend, co, raw_resume(co))
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

-- ERROR messages (the error protocol's dispatch): session N = the call with session N failed;
-- session 0 = the sender is gone.
local function _error_dispatch(error_session, error_source)
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
helpers.error_dispatch = _error_dispatch

---------------------------------------------------------------------------------------------------
-- Addresses, services, names, environment, statistics

function skynet.address(addr)
	if type(addr) == "number" then
		return format(":%08x", addr)
	end
	return tostring(addr)
end

function skynet.getenv(key)
	return (c.command("GETENV", key))
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

return helpers
