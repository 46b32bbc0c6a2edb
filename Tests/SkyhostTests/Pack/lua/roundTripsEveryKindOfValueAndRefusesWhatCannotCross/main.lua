local skynet = require "skynet"
skynet.start(function()
    local long = string.rep("x", 70000)
    local big = {}
    for i = 1, 100 do big[i] = i * 1.5 end
    big.name = "big"
    local a, b, c, d, e, f = skynet.unpack(skynet.packstring(nil, math.mininteger, -2^53, long, big, { [true] = { 1, { 2 } } }))
    skynet.error("roundtrip", a, b == math.mininteger, c == -2^53, #d, #e, e[100], e.name, f[true][2][1])
    local deep = {}
    local t = deep
    for i = 1, 40 do t.next = {}; t = t.next end
    local ok, err = pcall(skynet.packstring, deep)
    skynet.error("deep", ok, err)
    ok, err = pcall(skynet.packstring, print)
    skynet.error("function", ok, err)
    local msg, sz = skynet.pack(1, "two")
    skynet.error("pack/unpack pointer", skynet.unpack(msg, sz))
    skynet.trash(msg, sz)
end)
