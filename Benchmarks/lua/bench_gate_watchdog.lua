-- The gate bench's watchdog: gives every client an agent (bench_gate_agent) that echoes it.
local skynet = require "skynet"
require "skynet.manager"  -- skynet.kill

local gate
local agents = {}

local SOCKET = {}

function SOCKET.open(fd)
    local agent = skynet.newservice("bench_gate_agent")
    agents[fd] = agent
    skynet.call(agent, "lua", gate, fd)
end

function SOCKET.close(fd)
    local agent = agents[fd]
    agents[fd] = nil
    if agent then skynet.kill(agent) end
end

SOCKET.error = SOCKET.close
function SOCKET.warning() end
function SOCKET.data() end

skynet.start(function()
    skynet.dispatch("lua", function(_, _, cmd, sub, ...)
        if cmd == "socket" then
            SOCKET[sub](...)
        elseif cmd == "open" then
            gate = skynet.newservice("gate")
            local _, port = skynet.call(gate, "lua", "open",
                { address = "127.0.0.1", port = 0, maxclient = 4096, nodelay = true, watchdog = skynet.self() })
            skynet.retpack(port)
        elseif cmd == "agents" then
            local n = 0
            for _ in pairs(agents) do n = n + 1 end
            skynet.retpack(n)
        end
    end)
end)
