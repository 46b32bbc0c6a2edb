local skynet = require "skynet"
local parked
skynet.info_func(function(...) return { args = table.concat({ ... }, " "), answer = 42 } end)
local function sleeper() skynet.sleep(1000000) end
skynet.start(function()
    skynet.dispatch("lua", function(session, source, cmd)
        if cmd == "park" then
            parked = coroutine.running()
            skynet.error("parked")
            skynet.wait()
            skynet.ret(skynet.pack("released"))
        elseif cmd == "release" then
            skynet.wakeup(parked)
            skynet.ret(skynet.pack(true))
        end
    end)
    skynet.fork(sleeper)
end)
