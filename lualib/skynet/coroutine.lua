-- skynet.coroutine: coroutines for use inside skynet services.
--
-- A plain coroutine that calls skynet.call (or sleep, wait...) would hand skynet's own yield to
-- whoever resumed it. A coroutine made with skynet.coroutine.create tells the two apart: its
-- skynet.coroutine.yield(...) returns to its resume as usual, while a yield of the skynet
-- framework is passed on up to the enclosing skynet thread; when the framework resumes that
-- thread, the coroutine continues where it was. While parked that way its status is "blocked"
-- and resuming it is refused.
--
-- API (as Skynet 1.8): create, resume, yield, status, wrap, close, isyieldable, running, and
-- thread(co) -> the skynet thread at the root of co's resumes, false (or co, true when co is
-- not a skynet coroutine).

local coroutine = coroutine
local co_resume = coroutine.resume	-- replaced by skynet.profile's resume when the host has it
local co_yield = coroutine.yield
local co_status = coroutine.status
local co_running = coroutine.running
local co_close = coroutine.close
local select = select

local M = {}

M.isyieldable = coroutine.isyieldable
M.running = coroutine.running

-- coroutine -> true (ours, free to resume), false (parked by the skynet framework).
-- Absent: not ours, or finished.
local state = setmetatable({}, { __mode = "kv" })
-- coroutine -> the skynet thread its resumes started from
local root_of = setmetatable({}, { __mode = "kv" })

function M.create(f)
	local co = coroutine.create(f)
	state[co] = true
	return co
end

-- Hands a framework yield of `co` to the thread above, then resumes `co` with what came back.
local function relay_unblock(co, ...)
	state[co] = true
	return co_resume(co, ...)
end

local function relay(co, ...)
	state[co] = false
	return relay_unblock(co, co_yield(...))
end

-- Interprets the results of resuming `co` until it yields to its own resume, returns or fails.
local function settle(co, ok, ...)
	if not ok then
		return false, ...
	end
	if co_status(co) == "dead" then
		state[co] = nil
		return true, ...
	end
	if (...) == "USER" then
		return true, select(2, ...)
	end
	return settle(co, relay(co, ...))	-- a tail call: no stack growth however often it blocks
end

function M.resume(co, ...)
	local s = state[co]
	if not s then
		if s == false then
			return false, "cannot resume a skynet coroutine suspend by skynet framework"
		end
		if co_status(co) == "dead" then
			return co_resume(co, ...)	-- Lua's own "cannot resume dead coroutine"
		end
		return false, "cannot resume none skynet coroutine"
	end
	local from = co_running()
	root_of[co] = root_of[from] or from
	return settle(co, co_resume(co, ...))
end

function M.thread(co)
	co = co or co_running()
	if state[co] ~= nil then
		return root_of[co], false
	end
	return co, true
end

function M.status(co)
	local status = co_status(co)
	if status == "suspended" and state[co] == false then
		return "blocked"
	end
	return status
end

function M.yield(...)
	return co_yield("USER", ...)
end

local function wrap_result(ok, ...)
	if ok then
		return ...
	end
	error((...), 0)
end

function M.wrap(f)
	local co = M.create(f)
	return function(...)
		return wrap_result(M.resume(co, ...))
	end
end

function M.close(co)
	state[co] = nil
	return co_close(co)
end

return M
