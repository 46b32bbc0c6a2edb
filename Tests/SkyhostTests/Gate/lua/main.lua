-- Skynet's watchdog pattern on the gate service: each client gets an agent, to which the gate
-- forwards its packets. The gate takes at most 3 clients. Logs "gate port N".
local skynet = require "skynet"

local agents = {}   -- fd -> agent
local gate

local SOCKET = {}

function SOCKET.open(fd, addr)
	skynet.error("open " .. fd .. " " .. tostring(addr:match("^127%.0%.0%.1:%d+$") ~= nil))
	local agent = skynet.newservice("agent")
	agents[fd] = agent
	skynet.call(agent, "lua", "start", gate, fd)
end

local function ended(fd, what)
	skynet.error(what .. " " .. fd)
	local agent = agents[fd]
	agents[fd] = nil
	if agent then
		skynet.send(agent, "lua", "exit")
	end
end

function SOCKET.close(fd) ended(fd, "close") end
function SOCKET.error(fd, reason) ended(fd, "error(" .. tostring(reason) .. ")") end
function SOCKET.warning() end
function SOCKET.data(fd, bytes) skynet.error("watchdog got data from " .. fd .. ": " .. bytes) end

skynet.start(function()
	skynet.dispatch("lua", function(_, _, what, sub, ...)
		if what == "socket" then
			SOCKET[sub](...)
		end
	end)
	gate = skynet.newservice("gate")
	local _, port = skynet.call(gate, "lua", "open", {
		address = "127.0.0.1", port = 0, maxclient = 3, nodelay = true, watchdog = skynet.self(),
	})
	skynet.error("gate port " .. port)
end)
