-- skynet.api.call: sessions and calls -- dispatch, send, rawsend, call, rawcall, tracecall, ret,
-- retpack, response, context, ignoreret, redirect. Run once by lualib/skynet.lua, as
-- chunk(skynet, internal), the first time a service reads one of these names.

local skynet, internal = ...
assert(type(internal) == "table", "skynet.api.call is loaded by skynet.lua, not by require")

local c = require "skynet.core"
local csend = c.send
local coroutine_yield = coroutine.yield

local PTYPE_RESPONSE <const> = skynet.PTYPE_RESPONSE
local PTYPE_ERROR <const> = skynet.PTYPE_ERROR
local PTYPE_TRACE <const> = skynet.PTYPE_TRACE

local proto = internal.proto
local session_id_coroutine = internal.session_id_coroutine
local session_coroutine_id = internal.session_coroutine_id
local session_coroutine_address = internal.session_coroutine_address
local session_coroutine_tracetag = internal.session_coroutine_tracetag
local unresponse = internal.unresponse
local watching_session = internal.watching_session
local checked = internal.checked

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

-- The body of every call: sends the packed request (msg, sz) of protocol `p` to `addr` with a
-- new session and parks the running thread until the answer comes; returns it. A traced thread
-- logs the call at `level` (its caller's frame, counted as skynet.tracelog counts) and tells
-- the callee; a nil level leaves that to the caller (tracecall).
local function call(level, addr, p, msg, sz)
	local co = internal.running_thread
	local tag = level and session_coroutine_tracetag[co]
	if tag then
		skynet.tracelog(tag, "call", level)
		csend(addr, PTYPE_TRACE, 0, tag)
	end
	local session = checked((internal.guard_send or csend)(addr, p.id, nil, msg, sz))
	if session == nil then
		error("call to invalid address " .. skynet.address(addr))
	end
	watching_session[session] = addr
	session_id_coroutine[session] = co
	local ok, answer, answer_size = coroutine_yield "SUSPEND"
	watching_session[session] = nil
	if not ok then
		error "call failed"
	end
	return answer, answer_size
end

-- (Levels: 1 is skynet.tracelog's caller, `call`; 2 the function below; 3 its caller.)
function skynet.call(addr, typename, ...)
	local p = proto[typename]
	return p.unpack(call(3, addr, p, p.pack(...)))
end

function skynet.rawcall(addr, typename, msg, sz)
	local answer, answer_size = call(3, addr, proto[typename], msg, sz)
	return answer, answer_size
end

-- A call of a packed message traced under `tag`, which the callee is told with PTYPE_TRACE.
function skynet.tracecall(tag, addr, typename, msg, sz)
	skynet.tracelog(tag, "tracecall begin")
	csend(addr, PTYPE_TRACE, 0, tag)
	local answer, answer_size = call(nil, addr, proto[typename], msg, sz)
	skynet.tracelog(tag, "tracecall end")
	return answer, answer_size
end

function skynet.ret(msg, sz)
	msg = msg or ""
	local co = internal.running_thread
	local tag = session_coroutine_tracetag[co]
	if tag then
		skynet.tracelog(tag, "response")
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

return {}
