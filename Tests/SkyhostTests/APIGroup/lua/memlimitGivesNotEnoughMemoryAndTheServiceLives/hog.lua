local skynet = require "skynet"
skynet.memlimit(4 * 1024 * 1024)
skynet.start(function()
    skynet.dispatch("lua", function(session, source, cmd)
        if cmd == "grow" then
            local t = {}	-- luacheck: ignore 241
            local ok, err = pcall(function()
                for i = 1, 1e7 do t[i] = string.rep("x", 64) .. i end
            end)
            t = nil
            collectgarbage()
            skynet.retpack(ok, err)
        else
            skynet.retpack("alive")
        end
    end)
end)
