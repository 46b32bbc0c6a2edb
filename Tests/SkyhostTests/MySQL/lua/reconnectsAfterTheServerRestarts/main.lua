local skynet = require "skynet"
require "skynet.manager"
skynet.register_protocol {
    name = "text", id = skynet.PTYPE_TEXT, unpack = skynet.tostring,
    dispatch = function(_, _, text)
        local n = text:match("^try (%d+)$")
        local mgr = skynet.uniqueservice("mysql_mgr")
        local results, done = {}, 0
        for i = 1, 4 do
            skynet.fork(function()
                local res, err = skynet.call(mgr, "lua", "try_query", "SELECT CONNECTION_ID() AS id")
                results[i] = res and ("ok " .. res[1].id) or err
                done = done + 1
                if done == 4 then skynet.wakeup(results) end
            end)
        end
        skynet.wait(results)
        skynet.error("RESULT " .. n .. " " .. table.concat(results, "|"))
    end,
}
skynet.start(function()
    skynet.uniqueservice("mysql_mgr")
    skynet.error("READY")
end)
