-- A service started by skynet.service.new: it waits for `init code args...` from
-- service_provider, runs the dumped main function (whose skynet.start, if any, runs right away)
-- and replies. Behaviour as Skynet 1.8's service_cell.
local skynet = require "skynet"

local name = ...
local command = {}

function command.init(code, ...)
	local start_func
	-- The main function calls skynet.start as a service file would; we are already started.
	skynet.start = function(f)
		start_func = f
	end
	skynet.dispatch("lua", function()
		error("No dispatch function")
	end)
	local main = assert(load(code, name))
	assert(pcall(main, ...))
	if start_func then
		start_func()
	end
	skynet.ret()
end

skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd, ...)
		local handler = assert(command[cmd], cmd)
		handler(...)
	end)
end)
