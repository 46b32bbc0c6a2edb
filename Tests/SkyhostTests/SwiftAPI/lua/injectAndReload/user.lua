local skynet = require "skynet"
local greet = require "greet"	-- luacheck: ignore 211
skynet.start(function()
    skynet.dispatch("lua", function() skynet.retpack(require("greet").text) end)
end)
