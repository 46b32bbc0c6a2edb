-- skynet.api.task: the service's threads -- task, uniqtask, killthread, trace_timeout. Run once
-- by lualib/skynet.lua, as chunk(skynet, internal), the first time a service reads one of these
-- names.

local skynet, internal = ...
assert(type(internal) == "table", "skynet.api.task is loaded by skynet.lua, not by require")

local c = require "skynet.core"
local csend = c.send
local format = string.format
local traceback = debug.traceback

local PTYPE_ERROR <const> = skynet.PTYPE_ERROR

local session_id_coroutine = internal.session_id_coroutine
local session_coroutine_id = internal.session_coroutine_id
local session_coroutine_address = internal.session_coroutine_address
local session_coroutine_tracetag = internal.session_coroutine_tracetag
local watching_session = internal.watching_session
local sleep_session = internal.sleep_session
local wait_session = internal.wait_session
local fork_queue = internal.fork_queue

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

return {}
