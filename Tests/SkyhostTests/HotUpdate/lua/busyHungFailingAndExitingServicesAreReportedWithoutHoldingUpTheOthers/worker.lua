local skynet = require "skynet"
local mode = ...
local version = "old"
local CMD = {}
function CMD.version() return version end
function CMD.spin(seconds)
    local stop = os.clock() + seconds
    while os.clock() < stop do end
end
if mode ~= "nohook" then
    function CMD._hotfix()
        if mode == "hung" then skynet.wait() end
        if mode == "fails" then return false, "disk full" end
        if mode == "exits" then skynet.exit() end
        version = "new"
        return true
    end
end
skynet.start(function()
    skynet.dispatch("lua", function(session, source, cmd, ...)
        local f = assert(CMD[cmd])
        if session ~= 0 then skynet.retpack(f(...)) else f(...) end
    end)
end)
