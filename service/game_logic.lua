-- service/game_logic.lua
-- 使用数值配置 (the game-values example: a service that reads config/game_values.json and follows its reloads).
--
-- Loads ./config/game_values.json (relative to the node's working directory, as in Skynet)
-- through config_mgr, watches it, and answers get_exp_required(level), calc_stats(level) and
-- roll_drop() from the values config_mgr last sent: an operator who edits the JSON file while
-- the node runs gets answers with the new values within about a second (config_mgr's poll).
--
-- Differs from the classic version in one place: if the file can't be loaded when the service starts
-- (missing, invalid JSON) and no copy is loaded already, the service fails to start with the
-- reason, instead of starting with no config and raising "attempt to index a nil value" on
-- every later request.

local skynet = require "skynet"

local game_config = nil
local config_mgr

local CMD = {}

function CMD.init()
    config_mgr = skynet.uniqueservice("config_mgr")

    -- 加载配置
    local _, err = skynet.call(config_mgr, "lua", "load", "game_values", "./config/game_values.json")
    game_config = skynet.call(config_mgr, "lua", "get", "game_values")
    if not game_config then
        error("game_logic: can't load ./config/game_values.json: " .. tostring(err), 0)
    end

    -- 订阅配置变更
    local self = skynet.self()
    skynet.call(config_mgr, "lua", "watch", "game_values", self, "_on_config_changed")
end

-- 配置变更回调
function CMD._on_config_changed(name, new_config)
    skynet.error("游戏数值配置已更新")
    game_config = new_config
    -- 可以在这里做一些配置变更后的处理
end

-- 计算升级所需经验
function CMD.get_exp_required(level)
    return math.floor(game_config.exp_base * (game_config.exp_growth ^ (level - 1)))
end

-- 计算属性
function CMD.calc_stats(level)
    return {
        max_hp = 100 + (level - 1) * game_config.hp_per_level,
        max_mp = 50 + (level - 1) * game_config.mp_per_level,
    }
end

-- 掉落计算
function CMD.roll_drop()
    local roll = math.random()
    local rates = game_config.drop_rates

    if roll < rates.legendary then
        return "legendary"
    elseif roll < rates.legendary + rates.epic then
        return "epic"
    elseif roll < rates.legendary + rates.epic + rates.rare then
        return "rare"
    else
        return "common"
    end
end

skynet.start(function()
    CMD.init()

    skynet.dispatch("lua", function(session, source, cmd, ...)
        local f = assert(CMD[cmd])
        if session ~= 0 then
            skynet.retpack(f(...))
        else
            f(...)
        end
    end)
end)
