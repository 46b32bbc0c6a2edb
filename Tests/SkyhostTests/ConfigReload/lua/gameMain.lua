local skynet = require "skynet"
skynet.start(function()
    local game = skynet.newservice("game_logic")
    local n = 0
    while true do
        n = n + 1
        local legendary = 0
        for _ = 1, 50 do
            if skynet.call(game, "lua", "roll_drop") == "legendary" then legendary = legendary + 1 end
        end
        local stats = skynet.call(game, "lua", "calc_stats", 10)
        local max_level = skynet.call(".config_mgr", "lua", "get_item", "game_values", "max_level")
        print(string.format("values #%d exp=%s hp=%s mp=%s legendary=%d/50 max_level=%s(%s)", n,
            skynet.call(game, "lua", "get_exp_required", 3), stats.max_hp, stats.max_mp, legendary,
            tostring(max_level), math.type(max_level)))
        skynet.sleep(10)
    end
end)
