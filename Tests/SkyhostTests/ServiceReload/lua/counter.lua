-- A counter that keeps its state across reloads: what the old version's on_reload returns is
-- what the new one's skynet.reloaded() gives. The tests write it with VERSION "v1", "v2", ...
--   inc          -> VERSION, count (one more)
--   push i       (no answer) records i; a push that is not the last one plus one is a gap
--   get          -> VERSION, count, last push, gaps
--   slow         -> VERSION, what .slowpoke answers (a request suspended in a call)
local skynet = require "skynet"

local VERSION = "v1"

local state = skynet.reloaded() or { count = 0, pushes = 0, gaps = 0 }

skynet.on_reload(function()
	return state
end)

local CMD = {}

function CMD.inc()
	state.count = state.count + 1
	return VERSION, state.count
end

function CMD.get()
	return VERSION, state.count, state.pushes, state.gaps
end

function CMD.slow()
	return VERSION, skynet.call(".slowpoke", "lua", "hold")
end

skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd, arg)
		if cmd == "push" then
			if arg ~= state.pushes + 1 then
				state.gaps = state.gaps + 1
			end
			state.pushes = arg
			return
		end
		skynet.ret(skynet.pack(CMD[cmd]()))
	end)
end)
