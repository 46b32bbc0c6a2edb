-- 业务服务模板(包含热更新支持): the classic version's business-service template (服务内置热更新支持),
-- with the business logic in lualib/business_logic.lua (players' request counters).
--
--   process(player)          -> the business module's answer (see business_logic.lua)
--   _reload_module(name [, operator])  reload one module (sent by the updater's update_module)
--   _hotfix([operator])      reload business_logic, carrying its state over (update_service)
--
-- Each of these is one message in this service's mailbox, and none of them yields, so an update
-- runs between two requests: a request is served either wholly by the old code or wholly by the
-- new code, and none is lost.
--
-- Two corrections to the classic version's template, both in _reload_module:
--   * `_reload_module("business_logic")` goes through `_hotfix`. In the classic version it replaced
--     the module with a freshly loaded one without get_state / set_state, so `update_module
--     business_logic` (and a rollback, which reloads what changed) silently reset every counter.
--   * a failed reload answers `false, reason` instead of `false`, so the updater can say why.
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
function CMD._reload_module(module_name, operator)  -- (operator: from the updater, for the patch stack)
    if module_name == "business_logic" then
        return CMD._hotfix(operator)  -- keep the state (see the header)
    end
    local ok, mod = HotFix.reload(module_name, operator)
    if not ok then
        return false, mod
    end
    return ok
end

-- 完整热更新
function CMD._hotfix(operator)  -- (operator: for the patch stack, as _reload_module's)
    -- 1. 保存当前状态
    local state = business.get_state and business.get_state()

    -- 2. 重新加载业务模块
    local ok, new_business = HotFix.reload("business_logic", operator)
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
