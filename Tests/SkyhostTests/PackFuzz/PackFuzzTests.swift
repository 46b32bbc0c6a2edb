import Foundation
import Synchronization
import Testing

@testable import Skyhost

/// Bad input never crashes: `skynet.unpack` (the C decoder, inside Lua services of a
/// real node) on a million random and mutated buffers, and `SkynetPack.unpack` (the Swift decoder
/// of the host API) on 250,000 (`SKYHOST_FUZZ_SWIFT=N` for more; a million take about a minute of
/// CPU in a debug build). Every buffer either decodes or fails with the decoder's own error, and
/// whatever decodes packs again and decodes to the same values.
@Suite struct PackFuzzTests {
    /// How the fuzzers mutate valid buffers, by name (the same kinds in Lua and in Swift).
    static let kinds = ["random", "bitflip", "truncate", "length", "overwrite", "insert", "delete", "splice"]

    /// A fuzzing service: `run(seed, count)` unpacks `count` buffers made from valid skynet.pack
    /// output and answers the figures.
    static let fuzzer = luaSource("fuzzer.lua")

    @Test func luaUnpackSurvivesAMillionBadBuffers() throws {
        let perService = 250_000
        let services = 4
        let node = try TestNode(
            [
                "pack_fuzzer.lua": Self.fuzzer,
                "main.lua": luaSource("luaUnpackSurvivesAMillionBadBuffers/main.lua"),
            ], environment: ["fuzz_services": String(services), "fuzz_per_service": String(perService)])
        let line = try node.output.waitForLog(timeout: 300, "the fuzz figures") {
            $0.contains("] FUZZ buffers=") || ($0.hasPrefix("[:00000008]") && $0.contains(" error : "))
        }
        var f: [String: Int] = [:]
        for word in line.split(separator: " ") {
            let parts = word.split(separator: "=")
            if parts.count == 2 { f[String(parts[0])] = Int(parts[1]) }
        }
        let unexpected = node.output.log.filter { $0.contains("FUZZ unexpected") }
        #expect(unexpected.isEmpty, "\(unexpected.joined(separator: "\n"))")
        #expect(f["buffers"] == perService * services, "\(line)")
        #expect((f["errors"] ?? 0) + (f["decoded"] ?? 0) == perService * services)
        // Both outcomes are common: the mutations are neither all fatal nor all harmless.
        #expect((f["errors"] ?? 0) > perService / 10 && (f["decoded"] ?? 0) > perService / 10, "\(line)")
        #expect(f["mismatched"] == 0, "\(line)")
        #expect(f["alive"] == services)
        // Every kind of mutation ran in every service.
        let kinds = node.output.log.filter { $0.contains("] FUZZ kinds ") }
        #expect(kinds.count == services)
        for line in kinds {
            for kind in Self.kinds {
                let n = line.components(separatedBy: kind + ":").dropFirst().first.flatMap { Int($0.prefix { $0.isNumber }) } ?? 0
                #expect(n > perService / Self.kinds.count / 2, "\(kind) in \(line)")
            }
        }
        print(
            "PackFuzzTests: skynet.unpack on \(f["buffers"] ?? 0) buffers: \(f["errors"] ?? 0) errors, "
                + "\(f["decoded"] ?? 0) decoded (and re-packed to the same values)")
    }

    // MARK: - The Swift decoder

    /// Valid buffers of every kind of value and header, as the Lua fuzzer's corpus.
    static func swiftCorpus() throws -> [[UInt8]] {
        var nested: LuaValue = [:]
        for _ in 0..<30 { nested = [nested] }
        let big = LuaValue.array((1...40).map { .integer(Int64($0) * 1000) })
        let lists: [[LuaValue]] = [
            [.nil], [true, false], [0, 1, 255, 256, 65535, 65536, -1],
            [.integer(1 << 31), .integer(.min), .integer(.max), 1.5, .number(-0.0), .number(.infinity)],
            [
                "", "abc", .string(String(repeating: "s", count: 31)), .string(String(repeating: "m", count: 32)),
                .string(String(repeating: "l", count: 300)),
            ],
            [[1, 2, 3], ["a": 1], [[:]]], [big],
            [[1: 1, 2: "two", 3: [3], "k": "v", 2.5: true, -7: ["x": ["y": "z"]]]],
            [nested], ["hello", 42, ["list": big, "name": "storm"], .nil, false],
        ]
        return try lists.map { try SkynetPack.pack($0) } + [[0x25, 5, 0, 0, 0] + Array("hello".utf8)]
    }

    static func mutate(_ kind: String, _ s: [UInt8], _ corpus: [[UInt8]], _ r: inout SeededRandom) -> [UInt8] {
        var s = s
        let extremes: [UInt8] = [0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff]
        func some(_ n: Int) -> [UInt8] { (0..<n).map { _ in r.byte() } }
        func extreme() -> UInt8 { r.int(0...1) == 0 ? extremes[r.int(0...extremes.count - 1)] : r.byte() }
        switch kind {
        case "random":
            return some(r.int(0...48))
        case "bitflip":
            for _ in 0..<r.int(1...4) { s[r.int(0...s.count - 1)] ^= 1 << UInt8(r.int(0...7)) }
        case "truncate":
            return Array(s.prefix(r.int(0...s.count - 1)))
        case "length":
            var at: [Int] = []
            for i in s.indices where s[i] & 7 >= 4 && s[i] & 7 <= 6 { at.append(i) }
            guard !at.isEmpty else { return mutate("bitflip", s, corpus, &r) }
            let i = at[r.int(0...at.count - 1)]
            if s[i] == 0x15 || s[i] == 0x25 || s[i] == 0xfe {
                let end = min(s.count - 1, i + (s[i] == 0x25 ? 4 : 2))
                if i + 1 <= end { for j in (i + 1)...end { s[j] = extreme() } }
            } else {
                s[i] = (s[i] & 7) | UInt8(r.int(0...31) << 3)
            }
        case "overwrite":
            s[r.int(0...s.count - 1)] = extreme()
        case "insert":
            s.insert(contentsOf: some(r.int(1...8)), at: r.int(0...s.count))
        case "delete":
            let i = r.int(0...s.count - 1)
            s.removeSubrange(i..<min(s.count, i + r.int(1...8)))
        default:  // splice
            let o = corpus[r.int(0...corpus.count - 1)]
            return Array(s.prefix(r.int(0...s.count))) + Array(o.suffix(from: r.int(0...o.count - 1)))
        }
        return s
    }

    /// Equal values, NaN equal to NaN.
    static func same(_ a: LuaValue, _ b: LuaValue) -> Bool {
        switch (a, b) {
        case (.number(let x), .number(let y)): return x == y || (x.isNaN && y.isNaN)
        case (.table(let x), .table(let y)):
            return x.count == y.count && x.allSatisfy { k, v in y[k].map { same(v, $0) } ?? false }
        default: return a == b
        }
    }

    /// A table with a light userdata key (skynet.pack's own pointers are light userdata), from a
    /// Lua service to a Swift caller: the pair is left out and the rest of the answer is intact.
    /// (The Swift decoder used to take that key for the end of the table and misread the rest.)
    @Test func lightUserdataKeysDoNotEndATableForSwift() async throws {
        let node = try TestNode([
            "main.lua": "local skynet = require 'skynet' skynet.start(function() end)",
            "pointers.lua": luaSource("lightUserdataKeysDoNotEndATableForSwift/pointers.lua"),
        ])
        let service = try await node.node.launch("pointers")
        #expect(try await node.node.call(service, ["go"]) == [["a": 2], "after"])
    }

    @Test func swiftUnpackSurvivesRandomAndMutatedBuffers() throws {
        let corpus = try Self.swiftCorpus()
        let chunks = 4
        let perChunk = (Int(ProcessInfo.processInfo.environment["SKYHOST_FUZZ_SWIFT"] ?? "") ?? 250_000) / chunks
        let count = perChunk * chunks
        struct Figures: Sendable { var errors = 0, decoded = 0, mismatched = 0, other: [String] = [] }
        let results = Mutex<[Figures]>([])
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            var r = SeededRandom(state: 0x5eed_0000 + UInt64(chunk))
            var f = Figures()
            for _ in 0..<perChunk {
                let kind = Self.kinds[r.int(0...Self.kinds.count - 1)]
                let buffer = Self.mutate(kind, corpus[r.int(0...corpus.count - 1)], corpus, &r)
                do {
                    let values = try SkynetPack.unpack(buffer)
                    f.decoded += 1
                    // What decodes packs again and decodes to the same values.
                    let back = try SkynetPack.unpack(try SkynetPack.pack(values))
                    if back.count != values.count || !zip(values, back).allSatisfy(Self.same) {
                        f.mismatched += 1
                        if f.other.count < 5 { f.other.append("mismatch \(buffer)") }
                    }
                } catch is SkynetPack.InvalidStream {
                    f.errors += 1
                } catch {
                    if f.other.count < 5 { f.other.append("\(error) for \(buffer)") }
                }
            }
            results.withLock { $0.append(f) }
        }
        let all = results.withLock { $0 }
        let errors = all.reduce(0) { $0 + $1.errors }
        let decoded = all.reduce(0) { $0 + $1.decoded }
        let other = all.flatMap(\.other)
        #expect(other.isEmpty, "\(other.joined(separator: "\n"))")
        #expect(errors + decoded == count)
        #expect(errors > count / 10 && decoded > count / 10, "errors \(errors), decoded \(decoded)")
        #expect(all.allSatisfy { $0.mismatched == 0 })
        print(
            "PackFuzzTests: SkynetPack.unpack on \(count) buffers: \(errors) errors, \(decoded) decoded (and re-packed to the same values)")
    }
}
