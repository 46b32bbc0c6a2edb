import Foundation
import Testing

/// skynet.sharedata, skynet.sharetable and skynet.datasheet on real nodes: tables frozen once in
/// the node's memory, read by many services through views, updated while they read (each reader
/// sees whole versions), and updated from the console or the updater as audited patches.
/// Serialized: the node's count of live frozen tables is the test process's.
@Suite(.serialized) struct SharedDataTests {
    static let files = ["main", "versioned", "reader", "writer", "views", "tables", "holder"]

    static func node(services: [String] = [], start: String = "main", environment: [String: String] = [:]) throws -> TestNode {
        var env = environment
        env["test_services"] = services.joined(separator: ",")
        var sources: [String: String] = [:]
        for name in files {
            sources[name + ".lua"] = luaSource(name + ".lua")
        }
        return try TestNode(sources, start: start, environment: env)
    }

    @Test(arguments: ["sharedata", "sharetable", "datasheet"])
    func fiftyReadersSeeWholeVersionsWhileItIsUpdated(kind: String) throws {
        let node = try Self.node(services: ["writer \(kind) 50 20"])
        let report = try node.output.waitForPrint(timeout: 60) { $0.hasPrefix("\(kind): ") && $0.contains("readers") }
        #expect(report == "\(kind): 50 readers of 50 read whole versions up to 20")
        #expect(!node.output.stdout.contains { $0.hasPrefix("\(kind) problem: ") }, "\(node.output.stdout)")
        // Every older version was freed once its last reader let it go.
        #expect(try node.output.waitForPrint { $0.hasPrefix("\(kind): ") && $0.contains("live") } == "\(kind): 1 frozen tables live")
    }

    @Test func aSharedTableReadsLikeATableAndRefusesWhatCannotBeShared() throws {
        let node = try Self.node(start: "views")
        _ = try node.output.waitForPrint(timeout: 30) { $0 == "views done" }
        #expect(
            node.output.stdout.map(Self.withoutPositions) == [
                "type: table, same on query: true",
                "pairs: 1=10 2=20 3=30 true=yes 2.5=float again=table big=9223372036854775807 name=sword nested=table price=1.5",
                "#: 3, concat: 10,20,30, unpack: 10,20,30",
                "ipairs sum: 60",
                "values: sword float yes 1.5 integer nil 20",
                "same view: true, shared twice: a, cycle: sword, list: abc",
                "next: nil, rawlen: 0",
                "write: Error newindex, the key [nested.list.x]",
                "deepcopy: table abcd, shared still 3",
                "deepcopy scalar: sword",
                "function: call failed",
                "table key: call failed",
                "syntax: call failed",
                "deep: call failed",
                "missing: call failed",
                "forged: not a live shared table (a stale or unknown pointer)",
                "updated: axe x #0",
                "gone: The key [nested] doesn't exist after update",
                "deleted: call failed",
                "views done",
            ])
        // The keeper says why it refused each, and went on serving.
        try node.output.waitForLog(containing: "a shared table cannot hold a function value")
        try node.output.waitForLog(containing: "a shared table cannot have a table as a key")
        try node.output.waitForLog(containing: "bad:1: unexpected symbol near <eof>")
        try node.output.waitForLog(containing: "a shared table nests deeper than 200 tables")
    }

    @Test func sharetableReadersMoveOnAtTheirUpdateAndDatasheetReadersAtOnce() throws {
        let node = try Self.node(start: "tables")
        _ = try node.output.waitForPrint(timeout: 30) { $0 == "tables done" }
        #expect(
            node.output.stdout == [
                "sharetable before update: 1 2, queried after: 2",
                "sharetable after update: 2 3,4,5",
                "sharetable missing: nil",
                "sharetable queryall: levels:2 other:1",
                "datasheet after update: nil 4 5",
                "datasheet compiled: 26",
                "datasheet missing raises: true",
                "tables done",
            ])
    }

    @Test func onANodeWithAnUpdateKeyADataUpdateNeedsATokenIsAuditedAndRollsBack() throws {
        let audit = NSTemporaryDirectory() + "skyhost-shared-audit-" + UUID().uuidString + ".log"
        defer { try? FileManager.default.removeItem(atPath: audit) }
        let node = try Self.node(
            services: ["holder", "updater"], environment: ["update_key": "key-" + UUID().uuidString, "audit_log": audit])
        let token = String(try node.output.waitForPrint { $0.hasPrefix("TOKEN ") }.dropFirst("TOKEN ".count))
        _ = try node.output.waitForPrint { $0 == "ready" }
        let console = try ConsoleSession(port: try ConsoleTests.consolePort(node))
        try node.folder.write("level2.lua", "return { level = ... }")
        try node.folder.write("broken.lua", "return { level = ")
        try node.folder.write("function.lua", "return { level = print }")
        let level2 = "\(node.folder.path)/level2.lua"

        func level(_ kind: String) throws -> [String] {
            ConsoleClient.values(try console.run("call .holder lua get \(kind)"))
        }
        // Waits until the holder reads `expected` (an update reaches readers by message).
        func awaitLevel(_ kind: String, _ expected: String) throws {
            let deadline = Date().addingTimeInterval(10)
            while try level(kind) != [expected] {
                if Date() > deadline { throw ConsoleClient.Failure(description: "\(kind) never read \(expected)") }
            }
        }

        for kind in ["sharedata", "sharetable", "datasheet"] {
            #expect(try console.run("dataupdate \(kind) conf \(level2) 2").hasSuffix("<CMD Error>"))
            let answer = try console.run("dataupdate \(kind) conf \(level2) 2 --token \(token)")
            #expect(answer.hasSuffix("<CMD OK>") && answer.contains("\(kind) conf updated"), "\(answer)")
            try awaitLevel(kind, "2")
            // What does not compile, or cannot be shared, changes nothing.
            #expect(try console.run("dataupdate \(kind) conf \(node.folder.path)/broken.lua --token \(token)").hasSuffix("<CMD Error>"))
            #expect(try console.run("dataupdate \(kind) conf \(node.folder.path)/function.lua --token \(token)").hasSuffix("<CMD Error>"))
            #expect(try console.run("dataupdate \(kind) nothing \(level2) 3 --token \(token)").hasSuffix("<CMD Error>"))
            #expect(try level(kind) == ["2"])

            let keeper = try #require(answer.firstMatch(of: /patch #1 on (:[0-9a-f]{8})/)?.1)
            let patches = try console.run("patches \(keeper)")
            #expect(patches.contains("#1 \(kind)_update conf sha1:"), "\(patches)")
            #expect(patches.contains(" by alice: \(kind) conf, "), "\(patches)")
            #expect(
                try console.run("rollback \(keeper) --token \(token)")
                    == "rolled back #1 \(kind)_update conf: \(kind) conf restored\n<CMD OK>")
            try awaitLevel(kind, "1")

            // The updater's way.
            let updater = try console.run("call .updater lua data_update \(kind) conf \(level2) 7 --token \(token)")
            #expect(updater.hasPrefix("1\ttrue\n2\tpatch #2 on \(keeper): \(kind) conf updated"), "\(updater)")
            try awaitLevel(kind, "7")
        }
        #expect(try console.run("dataupdate sharemap conf \(level2) --token \(token)").contains("unknown kind of shared data sharemap"))

        let lines = try String(contentsOfFile: audit, encoding: .utf8).split(separator: "\n")
        #expect(
            lines.contains { $0.contains("who=-\twhat=console dataupdate sharedata conf \(level2) 2\tresult=refused: no token") },
            "\(lines)")
        #expect(lines.contains { $0.contains("who=alice\twhat=console dataupdate datasheet conf \(level2) 2\tresult=accepted") })
        try node.output.waitForLog(containing: "applied: sharetable update of conf by alice")
    }

    /// A line without the "file.lua:NN: " positions of the errors it quotes.
    static func withoutPositions(_ line: String) -> String {
        line.replacing(#/\S+\.lua:\d+: /#, with: "")
    }
}
