local skynet = require "skynet"
local function hex(s) return (s:gsub(".", function(c) return string.format("%02x ", c:byte()) end)) end
skynet.start(function()
    local cases = {
        { "1", 1 }, { "256", 256 }, { "-1", -1 }, { "2^31", math.tointeger(2^31) },
        { "1.5", 1.5 }, { "{1,2,3}", {1, 2, 3} }, { "{a=1}", { a = 1 } },
        { "{{}}", { {} } }, { "'abc'", "abc" }, { "nil", nil }, { "true", true },
        { "false", false }, { "0", 0 },
    }
    for _, c in ipairs(cases) do
        skynet.error("vector", c[1], "=", hex(skynet.packstring(c[2])))
    end
    skynet.error("vectors done")
end)
