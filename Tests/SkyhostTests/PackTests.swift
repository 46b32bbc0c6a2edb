import Foundation
import Testing

/// skynet.pack is byte-compatible with Skynet (DESIGN.md's vectors) and bad buffers are errors.
@Suite struct PackTests {
    @Test func packMatchesSkynetsBytes() throws {
        let node = try TestNode([
            "main.lua": """
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
                """,
        ])
        try node.output.waitForLog(containing: "vectors done")
        let expected = [
            "1": "0a 01", "256": "12 00 01", "-1": "22 ff ff ff ff",
            "2^31": "32 00 00 00 80 00 00 00 00", "1.5": "42 00 00 00 00 00 00 f8 3f",
            "{1,2,3}": "1e 0a 01 0a 02 0a 03 00", "{a=1}": "06 0c 61 0a 01 00",
            "{{}}": "0e 06 00 00", "'abc'": "1c 61 62 63", "nil": "00", "true": "09",
            "false": "01", "0": "02",
        ]
        for (value, bytes) in expected {
            #expect(node.output.log.contains("[:00000008] vector \(value) = \(bytes) "), "\(value)")
        }
    }

    @Test func roundTripsEveryKindOfValueAndRefusesWhatCannotCross() throws {
        let node = try TestNode([
            "main.lua": """
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
                """,
        ])
        try node.output.waitForLog(containing: "pack/unpack pointer 1 two")
        #expect(node.output.log.contains("[:00000008] roundtrip nil true true 70000 100 150.0 big 2"))
        #expect(node.output.log.contains { $0.contains("deep false") && $0.contains("serialize can't pack too depth table") })
        #expect(node.output.log.contains { $0.contains("function false") && $0.contains("Unsupport type function to serialize") })
    }

    @Test func malformedBuffersRaiseAndTheServiceKeepsServing() throws {
        let node = try TestNode([
            "main.lua": """
                local skynet = require "skynet"
                skynet.start(function()
                    local bad = { "\\x0a", "\\x12\\x01", "\\x1c\\x61", "\\x06\\x0a", "\\xfe", "\\x07", "\\x25\\xff\\xff\\xff\\x7f" }
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
                """,
        ])
        try node.output.waitForLog(containing: "garbage survived 20000")
        #expect(node.output.log.contains("[:00000008] malformed 7 7"))
    }
}
