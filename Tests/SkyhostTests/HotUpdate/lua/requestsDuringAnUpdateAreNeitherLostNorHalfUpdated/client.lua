local skynet = require "skynet"
local targets = {}
local answers = {}   -- per target: list of { version, count, level, n }
local running = true
local busy = 0
local CMD = {}
function CMD.start(list)
    targets = list
    for t = 1, #targets do answers[t] = {} end
    for t = 1, #targets do
        for _ = 1, 8 do
            busy = busy + 1
            skynet.fork(function()
                while running do
                    local a = table.pack(pcall(skynet.call, targets[t], "lua", "process", "p"))
                    local list = answers[t]	-- luacheck: ignore 432
                    list[#list + 1] = a
                end
                busy = busy - 1
            end)
        end
    end
end
function CMD.answered()
    local n = 0
    for t = 1, #answers do n = n + #answers[t] end
    return n
end
function CMD.stop()
    running = false
    while busy > 0 do skynet.sleep(1) end
    return answers
end
skynet.start(function()
    skynet.dispatch("lua", function(_, _, cmd, ...) skynet.retpack(CMD[cmd](...)) end)
end)
