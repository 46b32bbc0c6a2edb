local skynet = require "skynet"
skynet.start(function()
    local ok = pcall(skynet.newservice, "broken")
    skynet.error("newservice", ok)
    local ok2 = pcall(skynet.newservice, "does_not_exist")
    skynet.error("missing", ok2)
    skynet.error("alive", skynet.now() >= 0)
end)
