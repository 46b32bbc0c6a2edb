local skynet = require "skynet"
local random, char, byte, sub = math.random, string.char, string.byte, string.sub
local unpack, packstring = skynet.unpack, skynet.packstring

-- Valid buffers: every kind of value and header (short, long and 0x25 strings, small and
-- large arrays, nested tables, floats, the widest integers).
local function nest(n) local t = {} for _ = 1, n do t = { t } end return t end
local big = {} for i = 1, 40 do big[i] = i * 1000 end
local corpus = {}
for _, v in ipairs {
    table.pack(nil), table.pack(true, false), table.pack(0, 1, 255, 256, 65535, 65536, -1),
    table.pack(2^31, math.mininteger, math.maxinteger, 1.5, -0.0, 1/0),
    table.pack("", "abc", string.rep("s", 31), string.rep("m", 32), string.rep("l", 300)),
    table.pack({ 1, 2, 3 }, { a = 1 }, { {} }), table.pack(big),
    table.pack({ 1, "two", { 3 }, k = "v", [2.5] = true, [-7] = { x = { y = "z" } } }),
    table.pack(nest(30)), table.pack("hello", 42, { list = big, name = "storm" }, nil, false),
} do
    corpus[#corpus + 1] = packstring(table.unpack(v, 1, v.n))
end
corpus[#corpus + 1] = "\x25" .. string.pack("<I4", 5) .. "hello"	-- a long-string header

local function pick() return corpus[random(#corpus)] end
local function random_bytes(n)
    local t = {}
    for i = 1, n do t[i] = char(random(0, 255)) end
    return table.concat(t)
end
local function set(s, i, b) return sub(s, 1, i - 1) .. char(b) .. sub(s, i + 1) end
local extremes = { 0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff }

local mutate = {}
function mutate.random() return random_bytes(random(0, 48)) end
function mutate.bitflip(s)
    for _ = 1, random(1, 4) do
        local i = random(#s)
        s = set(s, i, byte(s, i) ~ (1 << random(0, 7)))
    end
    return s
end
function mutate.truncate(s) return sub(s, 1, random(0, #s - 1)) end
-- A length field changed: the cookie of a short string or table header, or the bytes after
-- a long-string header (0x15, 0x25) or a large-array header (0xfe).
function mutate.length(s)
    local at = {}
    for i = 1, #s do
        local b = byte(s, i)
        local t = b & 7
        if t == 4 or t == 5 or t == 6 then at[#at + 1] = i end
    end
    if #at == 0 then return mutate.bitflip(s) end
    local i = at[random(#at)]
    local b = byte(s, i)
    if b == 0x15 or b == 0x25 or b == 0xfe then
        for j = i + 1, math.min(#s, i + (b == 0x25 and 4 or 2)) do
            s = set(s, j, random(2) == 1 and extremes[random(#extremes)] or random(0, 255))
        end
        return s
    end
    return set(s, i, (b & 7) | (random(0, 31) << 3))
end
function mutate.overwrite(s)
    local i = random(#s)
    return set(s, i, random(2) == 1 and extremes[random(#extremes)] or random(0, 255))
end
function mutate.insert(s)
    local i = random(0, #s)
    return sub(s, 1, i) .. random_bytes(random(1, 8)) .. sub(s, i + 1)
end
function mutate.delete(s)
    local i = random(#s)
    return sub(s, 1, i - 1) .. sub(s, i + random(1, 8))
end
function mutate.splice(s)
    local o = pick()
    return sub(s, 1, random(0, #s)) .. sub(o, random(#o))
end
local kinds = { "random", "bitflip", "truncate", "length", "overwrite", "insert", "delete", "splice" }

-- Same values: NaN equals NaN, and tables compare by content, table keys included (a
-- decoded table can have tables for keys, and those are new tables after a round trip).
local same
local function same_tables(a, b, depth)
    if depth > 40 then return false end
    local na, nb = 0, 0
    for _ in pairs(b) do nb = nb + 1 end
    for k, v in pairs(a) do
        na = na + 1
        if type(k) ~= "table" then
            if not same(v, b[k], depth + 1) then return false end
        else
            local found = false
            for k2, v2 in pairs(b) do
                if type(k2) == "table" and same(k, k2, depth + 1) and same(v, v2, depth + 1) then
                    found = true
                    break
                end
            end
            if not found then return false end
        end
    end
    return na == nb
end
function same(a, b, depth)
    if a == b or (a ~= a and b ~= b) then return true end
    return type(a) == "table" and type(b) == "table" and same_tables(a, b, depth)
end

local function run(seed, count)
    math.randomseed(seed)
    local per_kind, errors, decoded, unexpected, mismatched = {}, 0, 0, {}, 0
    for _, k in ipairs(kinds) do per_kind[k] = 0 end
    for _ = 1, count do
        local kind = kinds[random(#kinds)]
        per_kind[kind] = per_kind[kind] + 1
        local buf = mutate[kind](pick())
        local r = table.pack(pcall(unpack, buf))
        if r[1] then
            decoded = decoded + 1
            -- What decodes packs again and decodes to the same values.
            local again = table.pack(pcall(packstring, table.unpack(r, 2, r.n)))
            local back = again[1] and table.pack(pcall(unpack, again[2]))
            local ok = back and back[1] and back.n == r.n
            for i = 2, r.n do ok = ok and same(r[i], back[i], 0) end
            if not ok then
                mismatched = mismatched + 1
                if #unexpected < 5 then
                    local hex = buf:gsub(".", function(c) return string.format("%02x", c:byte()) end)
                    unexpected[#unexpected + 1] = "MISMATCH " .. hex .. " " .. tostring(again[2]) .. " "
                        .. tostring(back and back[2])
                end
            end
        else
            errors = errors + 1
            local msg = tostring(r[2])
            if not msg:find("^Invalid serialize stream %d+") and not msg:find("^unpack: ") then
                if #unexpected < 5 then unexpected[#unexpected + 1] = msg end
            end
        end
    end
    local parts = {}
    for _, k in ipairs(kinds) do parts[#parts + 1] = k .. ":" .. per_kind[k] end
    return { buffers = count, errors = errors, decoded = decoded, mismatched = mismatched,
        unexpected = unexpected, kinds = table.concat(parts, ",") }
end

skynet.start(function()
    skynet.dispatch("lua", function(session, source, cmd, ...)
        if cmd == "run" then
            skynet.retpack(run(...))
        else
            skynet.retpack("fuzzer " .. tostring(cmd))
        end
    end)
end)
