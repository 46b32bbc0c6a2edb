local skynet = require "skynet"
skynet.start(function()
    collectgarbage()
    collectgarbage()
    local kb = collectgarbage("count")
    skynet.error("idle", rawget(skynet, "call") == nil, rawget(skynet, "killthread") == nil,
        package.loaded["skynet.debug"] == nil, kb < 64, string.format("%.1f KB", kb))
end)
