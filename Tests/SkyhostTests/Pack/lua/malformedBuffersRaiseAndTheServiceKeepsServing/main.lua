local skynet = require "skynet"
skynet.start(function()
    local bad = { "\x0a", "\x12\x01", "\x1c\x61", "\x06\x0a", "\xfe", "\x07", "\x25\xff\xff\xff\x7f" }
    local errors = 0
    for _, s in ipairs(bad) do
        local ok, err = pcall(skynet.unpack, s)
        if not ok and err:find("Invalid serialize stream", 1, true) then errors = errors + 1 end
    end
    skynet.error("malformed", errors, #bad)
    -- random garbage: errors only, never a crash
    math.randomseed(7)
    local survived = 0
    for i = 1, 20000 do
        local n = math.random(1, 24)
        local bytes = {}
        for j = 1, n do bytes[j] = string.char(math.random(0, 255)) end
        pcall(skynet.unpack, table.concat(bytes))
        survived = survived + 1
    end
    skynet.error("garbage survived", survived)
end)
