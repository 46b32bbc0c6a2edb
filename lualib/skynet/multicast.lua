-- skynet.multicast: publish / subscribe channels (Skynet's), served by service/multicastd.lua.
--
--   local mc = require "skynet.multicast"
--   local c = mc.new { channel = id or nil, pack = skynet.pack, unpack = skynet.unpack,
--                      dispatch = function(channel, source, ...) end }
--   c.channel                 the channel's id (a new channel when none is given)
--   c:subscribe()             messages published on the channel reach dispatch
--   c:unsubscribe()           (also when the object is collected)
--   c:publish(...)            every subscriber's dispatch gets ..., packed once with `pack`
--   c:delete()                the channel is gone
--
-- A message reaches each subscriber as a PTYPE_MULTICAST message whose session is the channel.
-- Skynet hands the subscribers one reference-counted buffer; Skyhost's services do not share a
-- heap, so each gets a copy of the packed bytes (published once to multicastd, copied by it).

local skynet = require "skynet"

local multicast = {}
local multicastd
local subscribed = {}	-- channel id -> the channel object that subscribed it

local channel = {}
local channel_meta = {
	__index = channel,
	__gc = function(self)
		self:unsubscribe()
	end,
	__tostring = function(self)
		return string.format("[Multicast:%x]", self.channel)
	end,
}

function multicast.new(conf)
	assert(multicastd, "Init first")
	local self = {}
	conf = conf or self
	self.channel = conf.channel or skynet.call(multicastd, "lua", "NEW")
	self.__pack = conf.pack or skynet.pack
	self.__unpack = conf.unpack or skynet.unpack
	self.__dispatch = conf.dispatch
	return setmetatable(self, channel_meta)
end

function channel:delete()
	skynet.send(multicastd, "lua", "DEL", assert(self.channel))
	self.channel = nil
	self.__subscribe = nil
end

function channel:publish(...)
	local c = assert(self.channel)
	local msg, sz = self.__pack(...)
	if type(msg) ~= "string" then
		local bytes = skynet.tostring(msg, sz)
		skynet.trash(msg, sz)
		msg = bytes
	end
	skynet.call(multicastd, "lua", "PUB", c, msg)
end

function channel:subscribe()
	local c = assert(self.channel)
	if self.__subscribe then
		return
	end
	skynet.call(multicastd, "lua", "SUB", c)
	self.__subscribe = true
	subscribed[c] = self
end

function channel:unsubscribe()
	if not self.__subscribe then
		return
	end
	local c = assert(self.channel)
	skynet.send(multicastd, "lua", "USUB", c)
	self.__subscribe = nil
	subscribed[c] = nil
end

-- A published message: session = the channel.
local function deliver(c, source, msg, sz)
	skynet.ignoreret()
	local self = subscribed[c]
	if self and self.__subscribe then	-- (dropped when it unsubscribed after the message left)
		self.__dispatch(self, source, self.__unpack(msg, sz))
	end
end

skynet.init(function()
	multicastd = skynet.uniqueservice "multicastd"
	skynet.register_protocol {
		name = "multicast",
		id = skynet.PTYPE_MULTICAST,
		unpack = function(msg, sz) return msg, sz end,
		dispatch = deliver,
	}
end)

return multicast
