-- skynet.on_reload, skynet.reloaded: a service's side of a reload in place (the console's
-- `reload ADDRESS`). ServiceReload.swift does the runtime's side; docs/hot-updates.md tells the
-- operator's.
--
-- The old state (its debug RELOAD calls `prepare`) asks the runtime to hold every message but
-- answers, waits until none of its requests is in flight, runs the function given to
-- skynet.on_reload and hands what it returns to the new state, with its patch history, in one
-- skynet.packstring. The new state reads those values with skynet.reloaded() while it starts;
-- the end of its start function reports to the runtime (`started`) instead of the launcher.

local skynet, internal = ...
local c = internal.c

-- Where the history a reload hands over waits for skynet.patch (its HANDED_OVER).
local HISTORY = "skyhost.patch_history"

local on_reload	-- the function given to skynet.on_reload
local handover	-- in a state a reload started: table.pack(info, values...), false once read out

function skynet.on_reload(fn)
	if fn ~= nil and type(fn) ~= "function" then
		error("skynet.on_reload needs a function (or nil)", 2)
	end
	on_reload = fn
end

local function unpacked()
	if handover == nil then
		local data = c.reloaded()
		handover = data and table.pack(c.unpack(data)) or false
	end
	return handover
end

-- The values the previous version's on_reload returned (nothing on an ordinary start, and
-- nothing once the start function has returned).
function skynet.reloaded()
	local h = unpacked()
	if h then
		return table.unpack(h, 2, h.n)
	end
end

-- What the old state is still doing for others or waits on others for: calls waiting for their
-- answer, requests not answered yet (except `me`, the RELOAD request), responses held back.
local function in_flight(me)
	local busy = {}
	for session, address in pairs(internal.watching_session) do
		busy[#busy + 1] = string.format("a call to %s (session %d)", skynet.address(address), session)
	end
	for co, session in pairs(internal.session_coroutine_id) do
		if co ~= me and session ~= 0 then
			busy[#busy + 1] = string.format("a request from %s (session %d)",
				skynet.address(internal.session_coroutine_address[co]), session)
		end
	end
	for _, address in pairs(internal.unresponse) do
		busy[#busy + 1] = "a response held for " .. skynet.address(address)
	end
	return busy
end

local helpers = {}

-- Gives the reload up before the swap: every message held reaches this state again.
local function cancel(reason)
	c.reload("cancel")
	skynet.error("reload failed: " .. reason)
	return false, reason
end

-- Waits until nothing is in flight, runs on_reload and asks for the swap (or cancels): true, or
-- false and the reason.
local function drain_and_swap(meta, rollback_of)
	if rollback_of and not c.reload("pin", 0, rollback_of) then
		return cancel(string.format("the code that reload #%d replaced is no longer kept", rollback_of))
	end
	local me = internal.running_thread
	local limit = tonumber((c.command("GETENV", "reload_timeout"))) or 5
	local deadline = skynet.now() + limit * 100
	local busy = in_flight(me)
	if busy[1] then
		skynet.error("reload waits for " .. table.concat(busy, ", "))
	end
	while busy[1] do
		if skynet.now() >= deadline then
			return cancel(string.format("still in flight after %g s: %s", limit, table.concat(busy, ", ")))
		end
		skynet.sleep(1)
		busy = in_flight(me)
	end
	local values = table.pack(true)
	if on_reload then
		values = table.pack(xpcall(on_reload, debug.traceback))
		if not values[1] then
			return cancel("on_reload raised: " .. tostring(values[2]))
		end
	end
	-- (a history handed over to this state and not read yet is read now)
	local patch = package.loaded["skynet.patch"]
		or (debug.getregistry()[HISTORY] and require("skynet.patch"))
	local info = { operator = meta.operator or "anonymous", history = patch and patch.history(rollback_of ~= nil),
		rollback_of = rollback_of }
	local packed, data = pcall(c.packstring, info, table.unpack(values, 2, values.n))
	if not packed then
		return cancel("on_reload returned what skynet.pack cannot carry: " .. tostring(data))
	end
	local sessions = {}
	for waited in pairs(internal.session_id_coroutine) do
		sessions[#sessions + 1] = waited
	end
	if not c.reload("swap", 0, 0, data, table.concat(sessions, " ")) then
		return false, "the runtime gave the reload up (it took too long)"
	end
	return true
end

-- The old state's part, run by the debug RELOAD (or ROLLBACK) request of `requester` (session
-- `session`): true when the runtime now starts the new state (and will answer the request), or
-- false and the reason, with nothing changed. With `rollback_of`, the id of the reload on top of
-- the patch stack, the new state runs the code that reload replaced.
function helpers.prepare(meta, requester, session, rollback_of)
	if not c.reload("hold", requester, session) then
		return false, "a reload of this service is already under way"
	end
	local ok, done, reason = pcall(drain_and_swap, meta, rollback_of)
	if not ok then
		return cancel("the reload raised: " .. tostring(done))
	end
	return done, reason
end

-- Gives the patch history (and the new record) to skynet.patch: now if it is loaded, else
-- when it is (most services never load it).
local function hand_history(handed)
	local patch = package.loaded["skynet.patch"]
	if patch then
		patch.adopt(handed)
	else
		debug.getregistry()[HISTORY] = handed
	end
end

-- The new state's part: its start function returned (ok), or raised (err). A successful start
-- is a patch on the service's stack, after the history of the state it replaced (or, for a
-- rollback, that history without the reload it undid).
function helpers.started(ok, err)
	local info = unpacked() and handover[1] or {}
	handover = false
	local history = info.history or { records = {}, last_id = 0 }
	local report
	local id = 0
	if ok and info.rollback_of then
		hand_history(history)
		report = string.format("rolled back #%d reload_service %s: the code it replaced serves again",
			info.rollback_of, SERVICE_NAME)
		skynet.error(report)
	elseif ok then
		-- (the SHA-1 of the service's file as this state loaded it)
		local checksum = c.command("CHECKSUM") or ""
		id = history.last_id + 1
		history.record = {
			id = id, time = os.time(), kind = "reload_service", name = SERVICE_NAME, checksum = checksum,
			operator = info.operator or "anonymous",
			summary = string.format("service %s %s", SERVICE_NAME, checksum:sub(1, 8)),
		}
		hand_history(history)
		report = string.format("reloaded %s: patch #%d", skynet.address(skynet.self()), id)
		skynet.error(string.format("patch #%d applied: reload_service %s by %s", id, SERVICE_NAME,
			info.operator or "anonymous"))
	else
		report = "the new version's start failed: " .. tostring(err)
	end
	c.reload("started", id, ok and 1 or 0, report)
end

return helpers
