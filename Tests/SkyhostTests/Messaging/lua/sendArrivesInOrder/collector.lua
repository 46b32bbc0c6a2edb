local skynet = require "skynet"
local got = {}
skynet.start(function()
    skynet.dispatch("lua", function(session, source, cmd, n)
        if cmd == "item" then
            got[#got + 1] = n
        else
            skynet.retpack(table.concat(got, ","))
        end
    end)
end)
