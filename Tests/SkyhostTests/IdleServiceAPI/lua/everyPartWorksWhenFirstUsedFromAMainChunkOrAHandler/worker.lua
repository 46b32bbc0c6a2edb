local skynet = require "skynet"
local threads = skynet.getenv "thread"   -- api/env.lua, first used from the main chunk
skynet.start(function()
    skynet.dispatch("lua", function(session, source, cmd)
        if cmd == "kill" then
            local co = skynet.fork(function() skynet.error("killed fork ran") end)
            local sleeper = skynet.fork(function() skynet.sleep(100000) end)
            local fork_killed = skynet.killthread(co) == co	-- before it ran
            skynet.yield()	-- the sleeper runs and sleeps
            skynet.retpack(fork_killed, skynet.killthread(sleeper) == sleeper, skynet.task())
        elseif cmd == "exit" then
            skynet.fork(function() skynet.error("fork queued before exit ran") end)
            skynet.exit()
        else
            skynet.retpack(threads, skynet.address(skynet.self()))
        end
    end)
end)
