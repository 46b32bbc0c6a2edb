-- skynet.api.unknown: messages nobody handles -- dispatch_unknown_request,
-- dispatch_unknown_response, and the loop's helpers for a message it cannot hand to a thread and
-- for a request left unanswered. Run once by lualib/skynet.lua, as chunk(skynet, internal), the
-- first time a service reads one of these names or such a message arrives.

local skynet, internal = ...
assert(type(internal) == "table", "skynet.api.unknown is loaded by skynet.lua, not by require")

local c = require "skynet.core"
local csend = c.send
local format = string.format

local PTYPE_RESPONSE <const> = skynet.PTYPE_RESPONSE
local PTYPE_ERROR <const> = skynet.PTYPE_ERROR
local PTYPE_TRACE <const> = skynet.PTYPE_TRACE

local session_coroutine_address = internal.session_coroutine_address
local trace_source = internal.trace_source

local function unknown_request(session, address, msg, sz, prototype)
	c.error(format("Unknown request (%s): %s", prototype, tostring(c.tostring(msg, sz))))
	error(format("Unknown session : %d from %x", session, address))
end

local function unknown_response(session, address, msg, sz)
	c.error(format("Response message : %s", tostring(c.tostring(msg, sz))))
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

local helpers = {}

-- A message the loop cannot hand to a thread: a RESPONSE nobody waits for, a PTYPE_TRACE
-- announcement, or a message of a protocol that is unknown or has no dispatch function (`class`,
-- if known). Requests among them are answered with an ERROR.
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

-- A request's handler (`task`, in thread `co`) returned without answering its call.
function helpers.forgot_response(co, task, session)
	local where = debug.getinfo(task, "S")
	c.error(format("Maybe forgot response session %s from %s : %s:%d", session,
		skynet.address(session_coroutine_address[co]), where.source, where.linedefined))
end

return helpers
