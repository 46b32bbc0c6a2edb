local skynet = require "skynet"
skynet.start(function()
    skynet.dispatch("lua", function(session, source, cmd, flag)
        if cmd == "block" then
            -- answers, then stays busy without taking a message until the file `flag` exists
            skynet.ret()
            while true do
                local f = io.open(flag)
                if f then
                    f:close()
                    break
                end
            end
        elseif cmd == "count" then
            skynet.retpack(skynet.stat("message"))
        end
    end)
end)
