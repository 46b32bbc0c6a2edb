-- skynet.api.exit: the end of a service -- exit, term. Run once by lualib/skynet.lua, as
-- chunk(skynet, internal), the first time a service reads one of these names.

local skynet, internal = ...
assert(type(internal) == "table", "skynet.api.exit is loaded by skynet.lua, not by require")

local c = require "skynet.core"
local csend = c.send

local PTYPE_RESPONSE <const> = skynet.PTYPE_RESPONSE
local PTYPE_ERROR <const> = skynet.PTYPE_ERROR

local session_id_coroutine = internal.session_id_coroutine
local session_coroutine_id = internal.session_coroutine_id
local session_coroutine_address = internal.session_coroutine_address
local unresponse = internal.unresponse
local watching_session = internal.watching_session
local fork_queue = internal.fork_queue

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
	return internal.error_dispatch(0, service)
end

return {}
