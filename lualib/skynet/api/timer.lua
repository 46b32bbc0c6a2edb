-- skynet.api.timer: timers and sleeps -- sleep, yield, wait, wakeup, starttime, time. Run once
-- by lualib/skynet.lua, as chunk(skynet, internal), the first time a service reads one of these
-- names. (skynet.timeout and skynet.now are part of skynet.lua.)

local skynet, internal = ...
assert(type(internal) == "table", "skynet.api.timer is loaded by skynet.lua, not by require")

local c = require "skynet.core"
local coroutine_yield = coroutine.yield

local session_id_coroutine = internal.session_id_coroutine
local session_coroutine_tracetag = internal.session_coroutine_tracetag
local sleep_session = internal.sleep_session
local wait_session = internal.wait_session
local wakeup_queue = internal.wakeup_queue
local checked = internal.checked

-- Parks the running thread on `session` under `token` (for skynet.wakeup).
local function suspend_sleep(session, token)
	local co = internal.running_thread
	local tag = session_coroutine_tracetag[co]
	if tag then
		skynet.tracelog(tag, "sleep", 2)
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

return {}
