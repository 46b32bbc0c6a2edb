-- skynet.queue: a critical section for the threads of one service.
--
--   local queue = require "skynet.queue"
--   local cs = queue()
--   cs(f, ...)   -- runs f(...) and returns its results; while f is parked (skynet.call,
--                -- sleep...), other threads calling cs(...) wait their turn, in order.
-- The thread inside may enter again (nested cs calls). An error in f is raised to the caller of
-- cs, with its traceback, and the section is released. Behaviour as Skynet 1.8.

local skynet = require "skynet"
local coroutine_running = coroutine.running
local xpcall = xpcall
local traceback = debug.traceback
local error = error

function skynet.queue()
	local owner = nil	-- the thread inside, or the next one, already woken, about to enter
	local depth = 0	-- how many times the owner has entered
	local waiting = {}	-- threads waiting to enter, first in first out
	local first, last = 1, 0

	local function leave(ok, ...)
		depth = depth - 1
		if depth == 0 then
			if first <= last then
				owner = waiting[first]
				waiting[first] = nil
				first = first + 1
				skynet.wakeup(owner)
			else
				owner = nil
				first, last = 1, 0
			end
		end
		if not ok then
			error((...), 0)
		end
		return ...
	end

	return function(f, ...)
		local thread = coroutine_running()
		if owner and owner ~= thread then
			last = last + 1
			waiting[last] = thread
			skynet.wait()	-- the token is this thread, woken by leave()
			assert(depth == 0)
		end
		owner = thread
		depth = depth + 1
		return leave(xpcall(f, traceback, ...))
	end
end

return skynet.queue
