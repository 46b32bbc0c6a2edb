local skynet = require "skynet"
skynet.start(function()
    local mysql_mgr = skynet.uniqueservice("mysql_mgr")
    skynet.call(mysql_mgr, "lua", "query", "CREATE TABLE audit (id INT PRIMARY KEY)")
    skynet.call(mysql_mgr, "lua", "query", "UPDATE users SET no_such_column = 1")
    skynet.call(mysql_mgr, "lua", "query", "DROP TABLE audit")
end)
