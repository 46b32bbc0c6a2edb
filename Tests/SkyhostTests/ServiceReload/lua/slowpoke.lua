-- Holds the answer to every "hold" until a "release", which answers them all with "released".
local skynet = require "skynet"

local held = {}

skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd)
		if cmd == "hold" then
			held[#held + 1] = skynet.response()
			print("slowpoke holds " .. #held)
		elseif cmd == "release" then
			for _, respond in ipairs(held) do
				respond(true, "released")
			end
			held = {}
			skynet.ret(skynet.pack(true))
		end
	end)
end)
