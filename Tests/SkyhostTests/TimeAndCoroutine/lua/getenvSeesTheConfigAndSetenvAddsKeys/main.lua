local skynet = require "skynet"
skynet.start(function()
    skynet.setenv("added", "yes")
    skynet.error("env", skynet.getenv("custom"), skynet.getenv("thread"), skynet.getenv("added"), skynet.getenv("missing"))
    local ok = pcall(skynet.setenv, "custom", "again")
    skynet.error("setenv existing", ok)
end)
