-- skynet.resume: the message loop's (lualib/skynet.lua) resumes outside the common path -- a
-- thread that raised, exited or yielded something odd, and the threads made ready by
-- skynet.wakeup and by calls that failed (the wakeup and error queues). Run once by skynet.lua, as
-- chunk(skynet, internal), the first time one of these happens.

local skynet, internal = ...
assert(type(internal) == "table", "skynet.resume is loaded by skynet.lua, not by require")

local c = require "skynet.core"
local csend = c.send
local raw_resume = coroutine.resume

local PTYPE_ERROR <const> = skynet.PTYPE_ERROR

local session_id_coroutine = internal.session_id_coroutine
local session_coroutine_id = internal.session_coroutine_id
local session_coroutine_address = internal.session_coroutine_address
local session_coroutine_tracetag = internal.session_coroutine_tracetag
local sleep_session = internal.sleep_session
local wakeup_queue = internal.wakeup_queue
local error_queue = internal.error_queue

local helpers = {}

local function noop() end

-- A resume that did not end in "SUSPEND".
function helpers.ended(co, ok, command)
	if not ok then	-- the thread raised: fail its request, if any, and raise the traceback
		local session = session_coroutine_id[co]
		if session then
			if session ~= 0 then
				local tag = session_coroutine_tracetag[co]
				if tag then
					skynet.tracelog(tag, "error")
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

-- Where the ready queues have been read up to.
local wakeup_next, error_next = 1, 1

-- The next thread made ready by skynet.wakeup or by a failed call, resumed: the thread and the
-- results of the resume; nothing when both queues are consumed (they are emptied then).
function helpers.next_ready()
	while true do	-- the first woken thread that still sleeps
		local token = wakeup_queue[wakeup_next]
		if token == nil then
			break
		end
		wakeup_queue[wakeup_next] = false
		wakeup_next = wakeup_next + 1
		local session = sleep_session[token]
		local co = session and session_id_coroutine[session]
		if type(co) == "thread" then
			local tag = session_coroutine_tracetag[co]
			if tag then
				skynet.tracelog(tag, "resume")
			end
			session_id_coroutine[session] = "BREAK"	-- its timer, if any, is now void
			internal.running_thread = co
			return co, raw_resume(co, false, "BREAK", nil, session)
		end
	end
	while true do	-- else the first failed call still waiting
		local session = error_queue[error_next]
		if session == nil then
			break
		end
		error_queue[error_next] = false
		error_next = error_next + 1
		local co = session_id_coroutine[session]
		session_id_coroutine[session] = nil
		if type(co) == "thread" then
			internal.running_thread = co
			return co, raw_resume(co, false, nil, nil, session)
		end
	end
	for i = wakeup_next - 1, 1, -1 do
		wakeup_queue[i] = nil
	end
	for i = error_next - 1, 1, -1 do
		error_queue[i] = nil
	end
	wakeup_next, error_next = 1, 1
end

return helpers
