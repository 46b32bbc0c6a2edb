-- A channel, 100 subscribers (subscriber.lua), three messages published, one after an
-- unsubscription and one on a deleted channel; prints what it did, and "published" at the end.
local skynet = require "skynet"
local mc = require "skynet.multicast"

skynet.start(function()
	local channel = mc.new()
	print("channel " .. tostring(channel))
	local subscribers = {}
	for i = 1, 100 do
		subscribers[i] = skynet.newservice("subscriber")
		skynet.call(subscribers[i], "lua", "subscribe", channel.channel)
	end
	channel:publish("hello", 1, { nested = true })
	channel:publish("second", 2)
	-- Every subscriber has both before the first 50 unsubscribe (a call behind them).
	for i = 1, 50 do
		skynet.call(subscribers[i], "lua", "unsubscribe")
	end
	channel:publish("third", 3)
	for i = 51, 100 do
		skynet.call(subscribers[i], "lua", "flush")
	end
	channel:delete()
	local other = mc.new()
	other:publish("nobody", 4)
	print("published")
end)
