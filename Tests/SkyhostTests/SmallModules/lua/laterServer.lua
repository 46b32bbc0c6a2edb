-- Takes the global name LATER once it has started; keeps the notes it is sent, in order.
local skynet = require "skynet"

local notes = {}

skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd, arg)
		if cmd == "echo" then
			skynet.retpack(arg)
		elseif cmd == "note" then
			notes[#notes + 1] = arg
		elseif cmd == "notes" then
			skynet.retpack(table.concat(notes, " "))
		end
	end)
	skynet.register("LATER")
end)
