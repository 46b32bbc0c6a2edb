-- 业务服务模板(包含热更新支持)
local skynet = require "skynet"
local HotFix = require "hotfix"

-- 业务逻辑模块
local business = require "business_logic"

local CMD = {}

-- 业务命令
function CMD.process(data)
    return business.process(data)
end

-- ===== 热更新接口 =====

-- 重载单个模块
function CMD._reload_module(module_name)
    local ok, mod = HotFix.reload(module_name)
    if ok and module_name == "business_logic" then
        business = mod  -- 更新引用
    end
    return ok
end

-- 完整热更新
function CMD._hotfix()
    -- 1. 保存当前状态
    local state = business.get_state and business.get_state()

    -- 2. 重新加载业务模块
    local ok, new_business = HotFix.reload("business_logic")
    if not ok then
        return false, new_business
    end

    -- 3. 迁移状态到新模块
    if state and new_business.set_state then
        new_business.set_state(state)
    end

    -- 4. 更新引用
    business = new_business

    return true
end

skynet.start(function()
    skynet.dispatch("lua", function(session, source, cmd, ...)
        local f = assert(CMD[cmd])
        if session ~= 0 then
            skynet.retpack(f(...))
        else
            f(...)
        end
    end)
end)
