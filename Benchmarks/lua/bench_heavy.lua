-- A code-heavy idle service, as a game agent is: it requires the modules bench_heavy_mod1 ...
-- bench_heavy_modN from `dir` (about 200 KB of Lua source in all, written by bench_main), then
-- dispatches and answers like bench_idle.
local skynet = require "skynet"

local dir, count = ...
package.path = dir .. "/?.lua;" .. package.path

local modules = {}
for i = 1, tonumber(count) do
    modules[i] = require("bench_heavy_mod" .. i)
end

skynet.start(function()
    skynet.dispatch("lua", function(_, _, ...)
        skynet.ret(skynet.pack(#modules, ...))
    end)
end)
