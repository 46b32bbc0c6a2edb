import Foundation
import Testing

/// skynet.pack is byte-compatible with Skynet (the vectors of docs/wire-format.md) and bad buffers are errors.
@Suite struct PackTests {
    @Test func packMatchesSkynetsBytes() throws {
        let node = try TestNode([
            "main.lua": luaSource("packMatchesSkynetsBytes/main.lua")
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
            #expect(node.output.lines(from: "main").contains("vector \(value) = \(bytes) "), "\(value)")
        }
    }

    @Test func roundTripsEveryKindOfValueAndRefusesWhatCannotCross() throws {
        let node = try TestNode([
            "main.lua": luaSource("roundTripsEveryKindOfValueAndRefusesWhatCannotCross/main.lua")
        ])
        try node.output.waitForLog(containing: "pack/unpack pointer 1 two")
        #expect(node.output.lines(from: "main").contains("roundtrip nil true true 70000 100 150.0 big 2"))
        #expect(node.output.log.contains { $0.contains("deep false") && $0.contains("serialize can't pack too depth table") })
        #expect(node.output.log.contains { $0.contains("function false") && $0.contains("Unsupport type function to serialize") })
    }

    @Test func malformedBuffersRaiseAndTheServiceKeepsServing() throws {
        let node = try TestNode([
            "main.lua": luaSource("malformedBuffersRaiseAndTheServiceKeepsServing/main.lua")
        ])
        try node.output.waitForLog(containing: "garbage survived 20000")
        #expect(node.output.lines(from: "main").contains("malformed 7 7"))
    }
}
