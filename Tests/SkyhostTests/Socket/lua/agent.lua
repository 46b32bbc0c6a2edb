local skynet = require "skynet"
local socket = require "skynet.socket"
skynet.start(function()
    skynet.dispatch("lua", function(_, _, cmd, id)
        skynet.ret(skynet.pack(true))
        skynet.fork(function()
            assert(socket.start(id))
            while true do
                local line = socket.readline(id)
                if not line then break end
                if line == "big" then socket.write(id, string.rep("x", 300000))
                elseif line == "quit" then socket.write(id, "bye") socket.close(id) return
                else socket.write(id, "echo:" .. line .. "\n") end
            end
            socket.close(id)
        end)
    end)
end)
