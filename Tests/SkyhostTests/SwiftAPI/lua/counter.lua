local skynet = require "skynet"
local count = 0
local handlers = {}
function handlers.add(n) count = count + n return count end
function handlers.get() return count end
function handlers.raise() error("counter exploded") end
function handlers.func() return print end
function handlers.echo(...) return ... end
function handlers.never() skynet.error("never answers") skynet.wait() end
skynet.start(function()
    skynet.dispatch("lua", function(session, source, cmd, ...)
        skynet.retpack(handlers[cmd](...))
    end)
end)
