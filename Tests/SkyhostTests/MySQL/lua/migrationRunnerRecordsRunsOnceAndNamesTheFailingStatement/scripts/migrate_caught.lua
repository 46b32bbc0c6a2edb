local skynet = require "skynet"
skynet.start(function()
    local mysql_mgr = skynet.uniqueservice("mysql_mgr")
    pcall(skynet.call, mysql_mgr, "lua", "query", "UPDATE users SET no_such_column_either = 1")
    print("CAUGHT", skynet.call(mysql_mgr, "lua", "try_query", "SELECT 1"))
end)
