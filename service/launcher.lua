-- The launcher (`.launcher`, handle :00000003 with harbor 0).
--
-- skynet.newservice(name, ...) is a call to this service: `LAUNCH snlua name args...`. The
-- launcher starts the service and keeps the caller waiting until the new service reports the end
-- of its start function (`LAUNCHOK`) or its failure (`ERROR`), or exits during init (`REMOVE`).
-- It also keeps the list of the services it started ("snlua name args", as Skynet 1.8 lists them)
-- and gathers MEM / STAT / GC from them over the debug protocol for the debug console.
--
-- Commands (the `lua` protocol, names case-insensitive; each handler gets the sender first):
--   LAUNCH type name args...   start a service; the reply is its handle (error if it failed)
--   LOGLAUNCH type name args... the same, with the service's message log switched on
--   LIST                       { [":0000000a"] = "snlua serviceA", ... }
--   STAT [timeout]             { [":0000000a"] = <the service's debug STAT table>, ... }
--   MEM [timeout]              { [":0000000a"] = "48.39 Kb (snlua serviceA)", ... }
--   GC [timeout]               debug GC to every service, then MEM
--   KILL handle                kill a service; { [":0000000a"] = "snlua serviceA" }
--   REMOVE handle kill         a service went away (sent by skynet.exit / skynet.kill); no reply
--   ERROR / LAUNCHOK           sent by a starting service (skynet.init_service); no reply
--   QUERY session              the handle being launched for the LAUNCH request with that session
-- Text messages "" (started) and "ERROR" (failed to start) are accepted too: that is how a
-- service that never reached Lua (e.g. a missing file) reports back.

local skynet = require "skynet"
local core = require "skynet.core"
require "skynet.manager"	-- skynet.launch, skynet.kill

local format = string.format

local running = {}       -- handle -> "snlua name args" for every service started here
local waiting = {}       -- handle -> response function of the newservice call awaiting its init
local request_of = {}    -- handle -> session of the LAUNCH request that started it (for QUERY)

local QUIET = {}         -- a handler returning this has answered (or must not answer) itself
local command = {}

-- Forgets the pending newservice call for `handle`, returning its response function if any.
local function take_waiter(handle)
	local respond = waiting[handle]
	waiting[handle] = nil
	request_of[handle] = nil
	return respond
end

function command.LIST()
	local result = {}
	for handle, desc in pairs(running) do
		result[skynet.address(handle)] = desc
	end
	return result
end

-- Sends `debug <...>` to every running service at once and maps each answer through `shape`
-- (called with the first returned value, or "ERROR" / "TIMEOUT", and the service's handle).
local function survey(timeout, shape, ...)
	local result = {}
	local unanswered = {}
	local batch = skynet.request()
	for handle in pairs(running) do
		local req = { handle, "debug", ... }
		batch:add(req)
		unanswered[req] = handle
	end
	for req, reply in batch:select(timeout) do
		local handle = req[1]
		unanswered[req] = nil
		if reply then
			result[skynet.address(handle)] = shape(reply[1], handle)
		else
			result[skynet.address(handle)] = shape("ERROR", handle)
		end
	end
	for _, handle in pairs(unanswered) do
		result[skynet.address(handle)] = shape("TIMEOUT", handle)
	end
	return result
end

local function as_is(value)
	return value
end

function command.STAT(_, timeout)
	return survey(timeout, as_is, "STAT")
end

local function memory_line(kb, handle)
	local desc = running[handle]
	if type(kb) == "number" then
		return format("%.2f Kb (%s)", kb, desc)
	end
	return format("%s (%s)", tostring(kb), desc)
end

function command.MEM(_, timeout)
	return survey(timeout, memory_line, "MEM")
end

function command.GC(source, timeout)
	for handle in pairs(running) do
		skynet.send(handle, "debug", "GC")
	end
	return command.MEM(source, timeout)
end

function command.KILL(_, handle)
	skynet.kill(handle)
	local killed = { [skynet.address(handle)] = tostring(running[handle]) }
	running[handle] = nil
	return killed
end

-- `kill` is true when the service was killed from outside, false when it called skynet.exit.
-- A service that exits before its init finished makes newservice return nil (no error); one that
-- was killed meanwhile makes it fail.
function command.REMOVE(_, handle, kill)
	running[handle] = nil
	local respond = take_waiter(handle)
	if respond then
		respond(not kill)
	end
	-- No reply: the service that sent this is going away.
	return QUIET
end

local function start(service_type, ...)
	local args = table.concat({ ... }, " ")
	local handle = skynet.launch(service_type, args)
	-- Read the request's session before skynet.response(), which detaches it from this coroutine.
	local session = skynet.context()
	local respond = skynet.response()
	if not handle then
		respond(false)
		return nil
	end
	running[handle] = service_type .. " " .. args
	waiting[handle] = respond
	request_of[handle] = session
	return handle
end

function command.LAUNCH(_, service_type, ...)
	start(service_type, ...)
	return QUIET	-- the reply is sent when the service reports LAUNCHOK / ERROR / REMOVE
end

function command.LOGLAUNCH(_, service_type, ...)
	local handle = start(service_type, ...)
	if handle then
		core.command("LOGON", skynet.address(handle))
	end
	return QUIET
end

-- The start function of `source` raised (or its code could not be loaded).
function command.ERROR(source)
	local respond = take_waiter(source)
	if respond then
		respond(false)
	end
	running[source] = nil
	return QUIET
end

-- The start function of `source` returned: newservice returns its handle.
function command.LAUNCHOK(source)
	local respond = take_waiter(source)
	if respond then
		respond(true, source)
	end
	return QUIET
end

function command.QUERY(_, session)
	for handle, s in pairs(request_of) do
		if s == session then
			return handle
		end
	end
end

-- Text commands, kept for services that report without the Lua API (as in Skynet).
skynet.register_protocol {
	name = "text",
	id = skynet.PTYPE_TEXT,
	unpack = skynet.tostring,
	dispatch = function(_, source, text)
		if text == "" then
			command.LAUNCHOK(source)
		elseif text == "ERROR" then
			command.ERROR(source)
		else
			error("Invalid text command " .. tostring(text))
		end
	end,
}

skynet.dispatch("lua", function(_, source, name, ...)
	local handler = command[string.upper(tostring(name))]
	if not handler then
		skynet.ret(skynet.pack { "Unknown command" })
		return
	end
	local result = handler(source, ...)
	if result ~= QUIET then
		skynet.ret(skynet.pack(result))
	end
end)

skynet.start(function() end)
