-- multicastd: the channels of skynet.multicast (one per node, a unique service).
--   NEW            -> a new channel id (its low 8 bits are the node's harbor id, as on Skynet)
--   SUB c / USUB c the caller subscribes / unsubscribes channel c
--   PUB c bytes    every subscriber of c gets bytes as a PTYPE_MULTICAST message, session c,
--                  from the publisher (answered once all are sent)
--   DEL c          channel c is gone
-- Skyhost nodes run with harbor 0, so every channel is local; the node's multicastd is also
-- published in the datacenter ("multicast", harbor id) as on Skynet.
local skynet = require "skynet"
local datacenter = require "skynet.datacenter"

local channels = {}	-- id -> { [subscriber] = true }
local next_id = skynet.harbor(skynet.self())

local command = {}

function command.NEW()
	while channels[next_id] do
		next_id = (next_id + 256) & 0x7fffffff
	end
	local id = next_id
	channels[id] = {}
	next_id = (next_id + 256) & 0x7fffffff
	return id
end

function command.SUB(source, c)
	local subscribers = channels[c]
	if subscribers then
		subscribers[source] = true
	end
end

function command.USUB(source, c)
	local subscribers = channels[c]
	if subscribers then
		subscribers[source] = nil
	end
end

function command.PUB(source, c, bytes)
	for subscriber in pairs(channels[c] or {}) do
		skynet.redirect(subscriber, source, "multicast", c, bytes)
	end
end

function command.DEL(_, c)
	channels[c] = nil
end

skynet.register_protocol {
	name = "multicast",
	id = skynet.PTYPE_MULTICAST,
}

skynet.start(function()
	skynet.dispatch("lua", function(session, source, cmd, ...)
		local result = assert(command[cmd], cmd)(source, ...)
		if session ~= 0 then
			skynet.ret(skynet.pack(result))
		end
	end)
	datacenter.set("multicast", skynet.harbor(skynet.self()), skynet.self())
end)
