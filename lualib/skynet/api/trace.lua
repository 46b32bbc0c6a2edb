-- skynet.api.trace: tracing -- trace, tracetag, traceproto, tracelog, and the helpers the message
-- loop calls for traced threads. Run once by lualib/skynet.lua, as chunk(skynet, internal), the
-- first time a service reads one of these names or a traced message arrives.
--
-- skynet.core has no `trace`: the lines are built here, in Skynet's shape
-- `<TRACE tag> <ns> text : source:line ...`, and written with skynet.error.

local skynet, internal = ...
assert(type(internal) == "table", "skynet.api.trace is loaded by skynet.lua, not by require")

local c = require "skynet.core"
local cerror = c.error
local chpc = c.hpc
local format = string.format
local getinfo = debug.getinfo

local proto = internal.proto
local session_coroutine_tracetag = internal.session_coroutine_tracetag
local trace_source = internal.trace_source

local MAX_TRACE_LEVELS <const> = 3

-- Skynet's c.trace(tag, text [, thread] [, level]). Levels count as in Skynet: 0 is this
-- function, 1 its caller.
function skynet.tracelog(tag, text, a, b)
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
			info = getinfo(level + 1, "Sl")	-- +1: getinfo counts this function as level 1
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
local tracelog = skynet.tracelog

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
	skynet.error("TRACE", session_coroutine_tracetag[internal.running_thread])	-- (as Skynet 1.8 logs)
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

local helpers = {}

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

-- A traced thread finished its task.
function helpers.trace_end(co)
	local tag = session_coroutine_tracetag[co]
	if tag then
		tracelog(tag, "end")
	end
	session_coroutine_tracetag[co] = nil
end

return helpers
