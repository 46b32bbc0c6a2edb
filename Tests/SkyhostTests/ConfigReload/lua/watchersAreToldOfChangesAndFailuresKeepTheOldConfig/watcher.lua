local skynet = require "skynet"
local mode = ...
skynet.start(function()
    skynet.dispatch("lua", function(session, source, cmd, name, config)
        if mode == "raising" then error("watcher raises on purpose") end
        print(string.format("%s saw %s level=%s(%s) name=%s", mode, name, tostring(config.level),
            math.type(config.level), tostring(config.name)))
    end)
end)
