local skynet = require "skynet"
local probe = [[
    local skynet = _U.skynet
    print(package.loaded["skynet.debug"] ~= nil, rawget(skynet, "killthread") == nil)
    for _, name in ipairs { "proto", "session_id_coroutine", "session_coroutine_id",
            "watching_session", "sleep_session", "unresponse", "fork_queue" } do
        print(name, type(_U[name]))
    end
    print("P", type(_P.lua), type(_P.debug))
]]
skynet.start(function()
    local idle = skynet.newservice("idle")
    skynet.call(idle, "debug", "PING")
    local ok, output = skynet.call(idle, "debug", "RUN", probe, "probe.lua")
    skynet.error("probe", ok, (output:gsub("\t", " "):gsub("\n", " | ")))
    local tasks = skynet.call(idle, "debug", "TASK")
    skynet.error("task", type(tasks), skynet.call(idle, "debug", "INFO"))
    skynet.error("missing", skynet.no_such_name == nil, skynet.no_such_name == nil)
end)
