local skynet = require "skynet"
skynet.start(function()
    skynet.dispatch("lua", function(session, source, cmd, ...)
        if cmd == "echo" then
            skynet.retpack(...)
        elseif cmd == "add" then
            local a, b = ...
            skynet.ret(skynet.pack(a + b))
        elseif cmd == "raise" then
            error("handler exploded")
        elseif cmd == "forget" then	-- luacheck: ignore 542
            -- returns without replying
        elseif cmd == "later" then
            local respond = skynet.response()
            skynet.fork(function()
                skynet.sleep(1)
                respond(true, "answered later")
            end)
        elseif cmd == "note" then
            skynet.error("note", ...)
        end
    end)
end)
