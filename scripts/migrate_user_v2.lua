-- scripts/migrate_user_v2.lua
-- 用户数据从 v1 迁移到 v2

local skynet = require "skynet"

skynet.start(function()
    local mysql_mgr = skynet.uniqueservice("mysql_mgr")
    
    -- v2 新增字段
    skynet.call(mysql_mgr, "lua", "query", [[
        ALTER TABLE users
        ADD COLUMN vip_level INT DEFAULT 0,
        ADD COLUMN last_login TIMESTAMP DEFAULT CURRENT_TIMESTAMP
    ]])
    
    -- 迁移数据
    skynet.call(mysql_mgr, "lua", "query", [[
        UPDATE users
        SET vip_level = CASE
            WHEN total_recharge >= 10000 THEN 5
            WHEN total_recharge >= 5000 THEN 4
            WHEN total_recharge >= 1000 THEN 3
            WHEN total_recharge >= 100 THEN 2
            WHEN total_recharge >= 10 THEN 1
            ELSE 0
        END
    ]])
    
    skynet.error("用户数据迁移完成")
end)
