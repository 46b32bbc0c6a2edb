-- skynet.lazy_rare: the part of skynet's API that ordinary services use rarely, kept out of the
-- core (lualib/skynet.lua) and of lazy.lua so that services that do not use it stay small:
-- Skyhost runs stock Lua, which cannot share compiled functions between states, so every service
-- holds its own copy of all the code it loads.
--
-- skynet.lua runs this file once, on first use (a name that neither the core nor lazy.lua
-- defines, or one of the helpers below), as chunk(skynet, internal): it adds the functions below
-- to the skynet table and returns the helpers. `internal` is skynet.lua's table of internals
-- (see the top of skynet.lua). It is not a module to require.
--
-- Added to skynet: exit, term, rawcall, tracecall, redirect, localname, setenv, register, name,
-- harbor, endless, mqlen, stat, memlimit, info_func, cache, pcall, trace, tracetag, traceproto,
-- tracelog, trace_timeout, task, uniqtask, killthread, dispatch_unknown_request,
-- dispatch_unknown_response, request (select).
-- Helpers for the core and lazy.lua:
--   tracelog(tag, text [, thread] [, level])   Skynet's c.trace, written in Lua
--   trace_call(tag, addr, level)               a traced call is about to send
--   trace_request(co, flag, source)            a request may be traced (protocol flag, PTYPE_TRACE)
--   trace_end(co)                              a traced thread finished its task
--   forgot_response(co, task, session)         a request's handler returned without answering
--   start_guard(session)                       the session counter nears its wrap
--   stray(prototype, msg, sz, session, source, class)   a message the core cannot dispatch
-- Behaviour as Skynet 1.8, with the differences listed at the top of skynet.lua.

local skynet, internal = ...
assert(type(internal) == "table", "skynet.lazy_rare is loaded by skynet.lua, not by require")
internal.part "skynet.lazy"	-- first: it completes `internal` (watching_session, checked...)

local c = require "skynet.core"

local helpers = {}

local csend = c.send
local cerror = c.error
local chpc = c.hpc
local format = string.format
local traceback = debug.traceback
local getinfo = debug.getinfo

local PTYPE_RESPONSE <const> = 1
local PTYPE_ERROR <const> = 7
local PTYPE_TRACE <const> = 12

local proto = internal.proto
local session_id_coroutine = internal.session_id_coroutine
local session_coroutine_id = internal.session_coroutine_id
local session_coroutine_address = internal.session_coroutine_address
local session_coroutine_tracetag = internal.session_coroutine_tracetag
local watching_session = internal.watching_session
local unresponse = internal.unresponse
local fork_queue = internal.fork_queue
local sleep_session = internal.sleep_session
local trace_source = internal.trace_source
local checked = internal.checked

---------------------------------------------------------------------------------------------------
-- Trace log
--
-- Skynet's native c.trace(tag, text [, thread] [, level]); skynet.core has none, so the line is
-- built here. Levels count as in the C version: 0 is the trace function itself, 1 its caller.

local MAX_TRACE_LEVELS <const> = 3

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
helpers.tracelog = tracelog
skynet.tracelog = tracelog

-- Levels: 1 is trace_call, 2 its caller (skynet.call), 3 the caller of skynet.call.
local function trace_call(tag, addr, level)
	tracelog(tag, "call", level)
	csend(addr, PTYPE_TRACE, 0, tag)
end
helpers.trace_call = trace_call

local trace_serial = 0
local function trace_thread(co, info)
	if session_coroutine_tracetag[co] == false then	-- forced off
		return
	end
	trace_serial = trace_serial + 1
	local tag = format(":%08x-%d", c.self(), trace_serial)
	session_coroutine_tracetag[co] = tag
	if info then
		tracelog(tag, "trace " .. tostring(info))
	else
		tracelog(tag, "trace")
	end
end

function skynet.trace(info)
	return trace_thread(internal.running_thread, info)
end

function skynet.tracetag()
	return session_coroutine_tracetag[internal.running_thread]
end

-- true: trace every request of this protocol; false: never; nil: only after skynet.trace().
function skynet.traceproto(prototype, flag)
	local p = assert(proto[prototype], "unknown protocol")
	p.trace = flag
end

-- A request from `source` of a protocol whose trace flag is `flag` starts in thread `co`.
function helpers.trace_request(co, flag, source)
	if flag == false then	-- tracing forced off for this protocol
		trace_source[source] = nil
		session_coroutine_tracetag[co] = false
		return
	end
	local tag = trace_source[source]
	if tag then
		trace_source[source] = nil
		tracelog(tag, "request")
		session_coroutine_tracetag[co] = tag
	elseif flag then	-- forced on: trace every request
		trace_thread(co)
	end
end

function helpers.trace_end(co)
	local tag = session_coroutine_tracetag[co]
	if tag then
		tracelog(tag, "end")
	end
	session_coroutine_tracetag[co] = nil
end

function helpers.forgot_response(co, task, session)
	local where = getinfo(task, "S")
	cerror(format("Maybe forgot response session %s from %s : %s:%d", session,
		skynet.address(session_coroutine_address[co]), where.source, where.linedefined))
end

---------------------------------------------------------------------------------------------------
-- Sessions near the wrap of the counter
--
-- From GUARD_FROM on, and after the wrap until the counter has passed every session still in
-- use, allocation is guarded: calls use an explicitly chosen free session, and before a timer
-- (whose session the runtime picks) the counter is stepped past busy ones. The core calls
-- start_guard with every session the runtime picks from GUARD_FROM on, and uses the guard_*
-- hooks of `internal` while they are set.

local GUARD_FROM <const> = 0x7ff00000
local SESSION_TOP <const> = 0x7fffffff
local cgenid = c.genid
local cintcommand = c.intcommand
local guarding = false
local guard_last = 0	-- last session seen while guarding
local guard_tail = 0	-- after a wrap: the highest session below GUARD_FROM still in use

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
	if session < GUARD_FROM and session > guard_tail then	-- the guard is no longer needed
		guarding = false
		internal.guard_send, internal.guard_timer, internal.guard_genid = nil, nil, nil
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

-- As c.send(addr, ptype, nil, msg, sz), with a free session.
local function guarded_send(addr, ptype, _, msg, sz)
	return csend(addr, ptype, free_session(), msg, sz)
end

-- As c.intcommand("TIMEOUT", ti).
local function guarded_timer(command, ti)
	-- The runtime gives the timer the session after the current one: make sure it is free.
	while true do
		local session = seen(cgenid())
		local upcoming = session + 1
		if session_id_coroutine[upcoming] == nil
			and (upcoming < SESSION_TOP or session_id_coroutine[1] == nil) then
			break
		end
	end
	return seen(cintcommand(command, ti))
end

function helpers.start_guard(session)
	if not guarding then	-- (the sessions handed out while guarding are seen already)
		guarding = true
		guard_last = session
		guard_tail = 0
		internal.guard_send, internal.guard_timer, internal.guard_genid =
			guarded_send, guarded_timer, free_session
	end
end

---------------------------------------------------------------------------------------------------
-- Unknown messages

local function unknown_request(session, address, msg, sz, prototype)
	cerror(format("Unknown request (%s): %s", prototype, tostring(c.tostring(msg, sz))))
	error(format("Unknown session : %d from %x", session, address))
end

local function unknown_response(session, address, msg, sz)
	cerror(format("Response message : %s", tostring(c.tostring(msg, sz))))
	error(format("Unknown session : %d from %x", session, address))
end

function skynet.dispatch_unknown_request(handler)
	local previous = unknown_request
	unknown_request = handler
	return previous
end

function skynet.dispatch_unknown_response(handler)
	local previous = unknown_response
	unknown_response = handler
	return previous
end

-- A message the core's dispatch cannot hand to a thread: a RESPONSE nobody waits for, a
-- PTYPE_TRACE announcement, or a message of a protocol that is unknown or has no dispatch
-- function (`class`, if known). Requests among them are answered with an ERROR.
function helpers.stray(prototype, msg, sz, session, source, class)
	if prototype == PTYPE_RESPONSE then
		return unknown_response(session, source, msg, sz)
	end
	if class then
		trace_source[source] = nil
	elseif prototype == PTYPE_TRACE then	-- the next request from `source` is traced
		trace_source[source] = c.tostring(msg, sz)
		return
	end
	if session ~= 0 then
		csend(source, PTYPE_ERROR, session, "")
	else
		unknown_request(session, source, msg, sz, class and class.name or prototype)
	end
end

---------------------------------------------------------------------------------------------------
-- Threads: trace_timeout, killthread, task, uniqtask

-- skynet.trace_timeout(true) records where each timer was set, for skynet.task.
local timeout_traceback = nil	-- thread -> traceback at skynet.timeout, while tracing

function skynet.trace_timeout(on)
	if on then
		local recorded = timeout_traceback or setmetatable({}, { __mode = "k" })
		timeout_traceback = recorded
		local co_create = internal.co_create
		internal.timer_create = function(func, ti)
			local co
			co = co_create(function()
				recorded[co] = nil
				func()
			end)
			-- level 3: the caller of skynet.timeout
			recorded[co] = traceback(format("TIMER %d+%d : ", skynet.now(), ti), 3)
			return co
		end
	else
		timeout_traceback = nil
		internal.timer_create = nil
	end
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
		for i, co in pairs(fork_queue) do	-- a fork that has not run yet
			if co == thread then
				fork_queue[i] = false
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
	local wait_session = internal.wait_session
	for token, s in pairs(sleep_session) do
		if s == session then
			sleep_session[token] = nil
			answer_due = not wait_session[session]
			wait_session[session] = nil
			break
		end
	end
	session_id_coroutine[session] = answer_due and "BREAK" or nil
	coroutine.close(co)
	return co
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
		local init_thread = internal.init_thread
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

---------------------------------------------------------------------------------------------------
-- skynet.request: several calls at once
--
--   local req = skynet.request { addr, "lua", ... } { addr2, "lua", ... }   -- or req:add {...}
--   for req, resp in req:select(timeout) do ... end
-- resp is table.pack of the answer, false if the call failed, nil if the address was invalid.
-- After a timeout the loop ends and req.timeout is true. Leaving the loop early (break, error)
-- closes the request: the answers still to come are dropped.

local request_meta = {}
request_meta.__index = request_meta

function request_meta:add(obj)
	assert(type(obj) == "table" and not self._collector, "request:add needs a table, before select")
	self[#self + 1] = obj
	return self
end

request_meta.__call = request_meta.add

local function unpack_answer(unpack, msg, sz)
	return table.pack(unpack(msg, sz))
end

-- The thread every answer of one select is delivered to.
local function collect(self)
	while true do
		local ok, msg, sz, session = coroutine.yield "SUSPEND"
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
	local collector = coroutine.create(collect)
	self._collector = collector
	local by_session = {}
	local invalid = nil
	local pending = 0
	for i = 1, #self do
		local req = self[i]
		local addr = req[1]
		local p = proto[req[2]]
		assert(p and p.unpack, "request to a protocol without unpack")
		local tag = session_coroutine_tracetag[internal.running_thread]
		if tag then
			trace_call(tag, addr, 3)
		end
		local session = checked((internal.guard_send or csend)(addr, p.id, nil,
			p.pack(table.unpack(req, 3, req.n))))
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
		local session = checked((internal.guard_timer or c.intcommand)("TIMEOUT", timeout))
		self._timer = session
		session_id_coroutine[session] = collector
	end
	-- Runs up to its first yield. A plain resume: the running skynet thread stays this one.
	coroutine.resume(collector, self)
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

---------------------------------------------------------------------------------------------------
-- Calls of packed messages, exit, names, environment, statistics

function skynet.rawcall(addr, typename, msg, sz)
	local tag = session_coroutine_tracetag[internal.running_thread]
	if tag then
		trace_call(tag, addr, 3)
	end
	local p = proto[typename]
	local session = checked((internal.guard_send or csend)(addr, p.id, nil, msg, sz))
	if session == nil then
		error("call to invalid address " .. skynet.address(addr))
	end
	return internal.wait_response(addr, session)
end


-- A call traced under `tag` (which the callee is told with PTYPE_TRACE) of a packed message.
function skynet.tracecall(tag, addr, typename, msg, sz)
	tracelog(tag, "tracecall begin")
	csend(addr, PTYPE_TRACE, 0, tag)
	local p = proto[typename]
	local session = checked((internal.guard_send or csend)(addr, p.id, nil, msg, sz))
	if session == nil then
		error("call to invalid address " .. skynet.address(addr))
	end
	local rmsg, rsz = internal.wait_response(addr, session)
	tracelog(tag, "tracecall end")
	return rmsg, rsz
end


function skynet.redirect(dest, source, typename, ...)
	return c.redirect(dest, source, proto[typename].id, ...)
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
	coroutine.yield "QUIT"
end


-- As if `service` had exited: the calls waiting on it fail.
function skynet.term(service)
	return internal.part("skynet.lazy").error_dispatch(0, service)
end


function skynet.localname(name)
	return c.addresscommand("QUERY", name)
end


function skynet.setenv(key, value)
	assert(c.command("GETENV", key) == nil, "Can't setenv exist key : " .. key)
	c.command("SETENV", key .. " " .. value)
end


-- Names. A ".name" is local to the node; any other name is global and goes through .cslave
-- (cdummy in a single node), as Skynet's skynet.harbor.globalname does. Skynet's harbor holds
-- messages sent to a global name until .cslave has registered it; a single Skyhost node binds
-- the name here and now instead, so a send to it right after this returns, from any service,
-- finds it (bootstrap names DATACENTER and then launches the start service at once).
local function global_name(name, handle)
	assert(#name < 16, "global name is too long")	-- Skynet's GLOBALNAME_LENGTH
	assert(tonumber(name) == nil, "global name can't be a number")
	handle = handle or c.self()
	c.command("NAME", name .. " " .. skynet.address(handle))
	skynet.send(".cslave", "lua", "REGISTER", name, handle)
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

do	-- skynet.cache: Skyhost's code cache checks each file on every load, so there is nothing to
	-- clear; clear and mode keep Skynet's API (the mode is remembered, and changes nothing)
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

return helpers
