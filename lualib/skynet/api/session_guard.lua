-- skynet.api.session_guard: sessions near the wrap of the counter. Run once by lualib/skynet.lua,
-- as chunk(skynet, internal), the first time the runtime hands out a session from GUARD_FROM on.
--
-- From GUARD_FROM on, and after the wrap until the counter has passed every session still in
-- use, allocation is guarded: calls use an explicitly chosen free session, and before a timer
-- (whose session the runtime picks) the counter is stepped past busy ones. skynet.lua's
-- `checked` calls start_guard with every session the runtime picks from GUARD_FROM on, and the
-- API uses the guard_* functions of `internal` while they are set.

local _, internal = ...
assert(type(internal) == "table", "skynet.api.session_guard is loaded by skynet.lua, not by require")

local c = require "skynet.core"
local csend = c.send
local cgenid = c.genid
local cintcommand = c.intcommand

local GUARD_FROM <const> = internal.GUARD_FROM
local SESSION_TOP <const> = 0x7fffffff

local session_id_coroutine = internal.session_id_coroutine

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

local helpers = {}

function helpers.start_guard(session)
	if not guarding then	-- (the sessions handed out while guarding are seen already)
		guarding = true
		guard_last = session
		guard_tail = 0
		internal.guard_send, internal.guard_timer, internal.guard_genid =
			guarded_send, guarded_timer, free_session
	end
end

return helpers
