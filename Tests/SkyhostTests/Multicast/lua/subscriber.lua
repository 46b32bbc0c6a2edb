-- Subscribes to the channel it is given; prints "got <message words> from <publisher> on
-- <channel> at <itself>" for each message.
local skynet = require "skynet"
local mc = require "skynet.multicast"

local channel

skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd, id)
		if cmd == "subscribe" then
			channel = mc.new {
				channel = id,
				dispatch = function(c, source, text, n, t)
					print(string.format("got %s %d %s from %s on %s at %s", text, n, t and tostring(t.nested) or "-",
						skynet.address(source), tostring(c), skynet.address(skynet.self())))
				end,
			}
			channel:subscribe()
		elseif cmd == "unsubscribe" then
			channel:unsubscribe()
		end
		skynet.ret()
	end)
end)
