-- A tiny shop service: the price of an item with the current discount.
local skynet = require "skynet"

local prices = { potion_hp = 100, potion_mp = 150 }
local config = { discount = 0.9 }

local function price(item)
    return math.floor(prices[item] * config.discount)
end

skynet.start(function()
    skynet.dispatch("lua", function(session, source, cmd, item)
        if cmd == "price" then
            skynet.retpack(price(item))
        end
    end)
end)
