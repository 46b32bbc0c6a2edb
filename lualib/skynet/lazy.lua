-- skynet.lazy: the everyday part of skynet's API, which the core (lualib/skynet.lua) leaves out
-- so that an idle service stays small: Skyhost runs stock Lua, which cannot share compiled
-- functions between states, so every service holds its own copy of all the code it loads.
--
-- skynet.lua runs this file once, the first time a service reads a name the core does not define
-- (or when a thread raises), as chunk(skynet, internal): it adds the functions below to the
-- skynet table and returns its helpers for the core. `internal` is skynet.lua's table of
-- internals (state tables, ready queues, running_thread...; see the top of skynet.lua). It is
-- not a module to require.
--
-- Added: call, rawcall, tracecall, ret, retpack, response, context, ignoreret, sleep, yield, wait, wakeup,
-- fork, exit, term, rawsend, redirect, address, localname, getenv, setenv, newservice,
-- uniqueservice, queryservice, register, name, harbor, starttime, time, endless, mqlen, stat,
-- memlimit, info_func, cache, pcall.
-- Helper for the core: resumed(co, ok, command) for a resume that did not end in "SUSPEND".
-- Behaviour as Skynet 1.8, with the differences listed at the top of skynet.lua.

local skynet, internal = ...
assert(type(internal) == "table", "skynet.lazy is loaded by skynet.lua, not by require")

local c = require "skynet.core"
local csend = c.send
local format = string.format
local coroutine_yield = coroutine.yield

local PTYPE_RESPONSE = 1
local PTYPE_ERROR = 7

local proto = internal.proto
local session_id_coroutine = internal.session_id_coroutine
local session_coroutine_id = internal.session_coroutine_id
local session_coroutine_address = internal.session_coroutine_address
local session_coroutine_tracetag = internal.session_coroutine_tracetag
local unresponse = internal.unresponse
local watching_session = internal.watching_session
local sleep_session = internal.sleep_session
local wait_session = internal.wait_session
local wakeup_queue = internal.wakeup_queue
local fork_queue = internal.fork_queue
local co_create = internal.co_create
local checked = internal.checked
local lazy_threads = internal.lazy_threads

local helpers = {}

---------------------------------------------------------------------------------------------------
-- Calls and answers

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
		lazy_threads().trace_call(tag, addr, 3)
	end
	local p = proto[typename]
	local session = checked((internal.guard_send or csend)(addr, p.id, nil, p.pack(...)))
	if session == nil then
		error("call to invalid address " .. skynet.address(addr))
	end
	return p.unpack(wait_response(addr, session))
end

function skynet.rawcall(addr, typename, msg, sz)
	local tag = session_coroutine_tracetag[internal.running_thread]
	if tag then
		lazy_threads().trace_call(tag, addr, 3)
	end
	local p = proto[typename]
	local session = checked((internal.guard_send or csend)(addr, p.id, nil, msg, sz))
	if session == nil then
		error("call to invalid address " .. skynet.address(addr))
	end
	return wait_response(addr, session)
end

-- A call traced under `tag` (which the callee is told with PTYPE_TRACE) of a packed message.
function skynet.tracecall(tag, addr, typename, msg, sz)
	local tracelog = lazy_threads().tracelog
	tracelog(tag, "tracecall begin")
	csend(addr, 12, 0, tag)	-- PTYPE_TRACE
	local p = proto[typename]
	local session = checked((internal.guard_send or csend)(addr, p.id, nil, msg, sz))
	if session == nil then
		error("call to invalid address " .. skynet.address(addr))
	end
	local rmsg, rsz = wait_response(addr, session)
	tracelog(tag, "tracecall end")
	return rmsg, rsz
end

function skynet.ret(msg, sz)
	msg = msg or ""
	local co = internal.running_thread
	local tag = session_coroutine_tracetag[co]
	if tag then
		lazy_threads().tracelog(tag, "response")
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

function skynet.redirect(dest, source, typename, ...)
	return c.redirect(dest, source, proto[typename].id, ...)
end

---------------------------------------------------------------------------------------------------
-- Sleep, wait, wakeup, fork

-- Parks the running thread on `session` under `token` (for skynet.wakeup).
local function suspend_sleep(session, token)
	local co = internal.running_thread
	local tag = session_coroutine_tracetag[co]
	if tag then
		lazy_threads().tracelog(tag, "sleep", 2)
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
-- A resume that did not end in "SUSPEND" (called by the core's suspend)

function helpers.resumed(co, ok, command)
	if not ok then	-- the thread raised: fail its request, if any, and raise the traceback
		local session = session_coroutine_id[co]
		if session then
			if session ~= 0 then
				local tag = session_coroutine_tracetag[co]
				if tag then
					lazy_threads().tracelog(tag, "error")
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

---------------------------------------------------------------------------------------------------
-- Exit

-- Answers every request with an ERROR: the callback of a service that has exited.
local function refuse_all(prototype, _, _, session, source)
	if session ~= 0 and source ~= 0 and prototype ~= PTYPE_RESPONSE and prototype ~= PTYPE_ERROR then
		csend(source, PTYPE_ERROR, session, "")
	end
end

function skynet.exit()
	-- no fork runs after exit
	for i in pairs(fork_queue) do
		fork_queue[i] = false
	end
	skynet.send(".launcher", "lua", "REMOVE", c.self(), false)
	-- fail the requests I serve
	for co, session in pairs(session_coroutine_id) do
		local address = session_coroutine_address[co]
		if session ~= 0 and address then
			csend(address, PTYPE_ERROR, session, "")
		end
	end
	local current = internal.running_thread
	for _, co in pairs(session_id_coroutine) do
		if type(co) == "thread" and co ~= current and coroutine.status(co) == "suspended" then
			coroutine.close(co)
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

-- As if `service` had exited: the calls waiting on it fail.
function skynet.term(service)
	return internal.error_dispatch(0, service)
end

---------------------------------------------------------------------------------------------------
-- Addresses, services, names, environment, statistics

function skynet.address(addr)
	if type(addr) == "number" then
		return format(":%08x", addr)
	end
	return tostring(addr)
end

function skynet.localname(name)
	return c.addresscommand("QUERY", name)
end

function skynet.getenv(key)
	return (c.command("GETENV", key))
end

function skynet.setenv(key, value)
	assert(c.command("GETENV", key) == nil, "Can't setenv exist key : " .. key)
	c.command("SETENV", key .. " " .. value)
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
	skynet.send(".cslave", "lua", "REGISTER", name, handle or c.self())
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

function skynet.harbor(addr)
	return (addr >> 24) & 0xff, false
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

-- The function the debug command INFO calls.
function skynet.info_func(func)
	internal.info_func = func
end

skynet.pcall = pcall	-- deprecated in Skynet; pcall works across yields

do	-- skynet.cache: the host's code cache when it has one, otherwise a stub
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

return helpers
