local skynet = require "skynet"
local HotFix = require "hotfix"
local shared = require "shared"
local CMD = {}
function CMD.text() return shared.text end
function CMD._reload_module(name, operator)
    local ok, mod = HotFix.reload(name, operator)
    if ok and name == "shared" then shared = mod end
    return ok
end
skynet.start(function()
    skynet.dispatch("lua", function(_, _, cmd, ...) skynet.retpack(CMD[cmd](...)) end)
end)
