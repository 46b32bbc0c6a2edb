-- skynet.mqueue: Skynet's deprecated message queue (use skynet.queue): messages of the protocol
-- "queue" (id 8) are handled one at a time, in order, by the function given to register.
--   mqueue.register(f)        f(...) handles each message; a call's answer is pcall(f, ...)
--   mqueue.call(addr, ...)    what the other side's f returned, or raises its error
--   mqueue.send(addr, ...)    no answer (f must return nothing and not raise, else it is logged)
--   mqueue.size()             messages waiting
local skynet = require "skynet"
local c = require "skynet.core"

local mqueue = {}
local waiting = {}	-- { session, source, ... } in arrival order
local sleeping	-- the handler's thread while the queue is empty
local registered

skynet.register_protocol {
	name = "queue",
	id = skynet.PTYPE_QUEUE,
	pack = skynet.pack,
	unpack = skynet.unpack,
	dispatch = function(session, source, ...)
		skynet.ignoreret()
		waiting[#waiting + 1] = table.pack(session, source, ...)
		if sleeping then
			skynet.wakeup(sleeping)
			sleeping = nil
		end
	end,
}

local function handle(f)
	while true do
		local m = table.remove(waiting, 1)
		if m == nil then
			sleeping = coroutine.running()
			skynet.wait()
		else
			local session, source = m[1], m[2]
			local result = table.pack(pcall(f, table.unpack(m, 3, m.n)))
			if session ~= 0 then
				local data, size = skynet.pack(table.unpack(result, 1, result.n))
				c.send(source, skynet.PTYPE_RESPONSE, session, data, size)
			elseif not result[1] then
				skynet.error(string.format("[:%x] send a message to [:%x] throw an error : %s", source, skynet.self(),
					tostring(result[2])))
			elseif result.n > 1 then
				skynet.error(string.format("[:%x] send a message to [:%x] return something", source, skynet.self()))
			end
		end
	end
end

function mqueue.register(f)
	assert(registered == nil, "mqueue.register may be called once")
	registered = true
	skynet.fork(handle, f)
end

local function raise_unless(ok, ...)
	if not ok then
		error(...)
	end
	return ...
end

function mqueue.call(addr, ...)
	return raise_unless(skynet.call(addr, "queue", ...))
end

function mqueue.send(addr, ...)
	return skynet.send(addr, "queue", ...)
end

function mqueue.size()
	return #waiting
end

return mqueue
