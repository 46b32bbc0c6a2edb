import Foundation
import Testing

@testable import Skyhost

/// Reloading a service in place: the console's `reload`, a new Lua state started from the files
/// on disk at the same address, the state handed over by `skynet.on_reload`, messages held while
/// it starts, and every way it can fail leaving the running version as it was.
@Suite struct ServiceReloadTests {
    /// The counter's source at `version` ("v1", "v2", ...).
    static func counter(_ version: String) -> String {
        luaSource("counter.lua").replacingOccurrences(of: #"local VERSION = "v1""#, with: #"local VERSION = "\#(version)""#)
    }

    /// A node running .counter (v1) and .slowpoke with the console, then `services` (launch
    /// lines); returns it with the console's port once main has printed "ready".
    static func node(services: [String] = [], environment: [String: String] = [:]) throws -> (TestNode, UInt16) {
        var env = environment
        env["test_services"] = services.joined(separator: ",")
        let files = [
            "main.lua": luaSource("main.lua"), "counter.lua": counter("v1"), "slowpoke.lua": luaSource("slowpoke.lua"),
            "client.lua": luaSource("client.lua"), "pusher.lua": luaSource("pusher.lua"),
        ]
        let node = try TestNode(files, environment: env)
        _ = try node.output.waitForPrint { $0 == "ready" }
        return (node, try ConsoleTests.consolePort(node))
    }

    /// The numbers of a console answer "1\tv2\n2\t12\n...": the values in order.
    static func values(_ answer: String) -> [String] {
        answer.split(separator: "\n").compactMap { line in
            let parts = line.split(separator: "\t", maxSplits: 1)
            return parts.count == 2 && Int(parts[0]) != nil ? String(parts[1]) : nil
        }
    }

    @Test func aCounterReloadedFromV1ToV2KeepsItsCountAndAddressWhileRequestsFlow() throws {
        let clients = (1...4).map { "client \($0)" }
        let (node, port) = try Self.node(services: clients + ["pusher"])
        // Every client well into its calls, the pusher's sends pouring in.
        for i in 1...4 { _ = try node.output.waitForPrint(timeout: 60) { $0 == "client \(i) at 20000" } }

        try node.folder.write("counter.lua", Self.counter("v2"))
        let console = try ConsoleSession(port: port)
        #expect(try console.run("reload .counter") == "reloaded :0000000a: patch #1\n<CMD OK>")

        var answers = 0
        for i in 1...4 {
            let line = try node.output.waitForPrint(timeout: 60) { $0.hasPrefix("client \(i): ") }
            // "client 1: 25000 answers, 0 out of order, v2 from answer 21234, 0 v1 after v2"
            let words = line.split(separator: " ")
            answers += Int(words[2]) ?? 0
            #expect(line.contains(" answers, 0 out of order, v2 from answer "), "\(line)")
            #expect(line.hasSuffix(", 0 v1 after v2"), "\(line)")
            let firstV2 = Int(words[words.count - 5].dropLast()) ?? 0
            #expect(firstV2 > 20000, "the switch came after the first 20,000 answers: \(line)")
        }
        #expect(answers >= 100_000)
        let pushed = try node.output.waitForPrint(timeout: 60) { $0.hasPrefix("pusher: ") }
        let pushes = pushed.split(separator: " ")[1]

        // The same service at the same address: v2 with every call counted once, every push
        // received once and in order.
        #expect(Self.values(try console.run("call :0a lua get")) == ["v2", "\(answers)", "\(pushes)", "0"])
        #expect(try console.run("list").contains(":0000000a\tsnlua counter"))
        let patches = try console.run("patches .counter")
        #expect(patches.hasPrefix("#1 reload_service counter sha1:"), "\(patches)")
        #expect(patches.contains("by anonymous: service counter "))
        #expect(node.output.lines(from: "counter").contains("patch #1 applied: reload_service counter by anonymous"))
    }

    @Test func aVersionThatDoesNotStartIsRefusedAndTheRunningOneKeepsItsState() throws {
        let (node, port) = try Self.node(environment: ["reload_timeout": "1"])
        let console = try ConsoleSession(port: port)
        for _ in 1...3 { _ = try console.run("call .counter lua inc") }
        try node.folder.write("counter.lua", Self.counter("v2"))
        #expect(try console.run("reload .counter") == "reloaded :0000000a: patch #1\n<CMD OK>")

        // v3 does not compile.
        try node.folder.write("counter.lua", Self.counter("v3") + "\nlocal broken = = 1\n")
        let syntax = try console.run("reload .counter")
        #expect(syntax.hasSuffix("<CMD Error>"))
        #expect(syntax.contains("counter.lua:") && syntax.contains("unexpected symbol near '='"), "\(syntax)")
        #expect(Self.values(try console.run("call .counter lua inc")) == ["v2", "4"])

        // v3 compiles but its start function raises.
        try node.folder.write(
            "counter.lua", Self.counter("v3").replacingOccurrences(of: "skynet.start(function()", with: "skynet.start(function() error(\"no start\")"))
        let start = try console.run("reload .counter")
        #expect(start.hasPrefix("the new version's start failed: ") && start.contains("no start"), "\(start)")
        #expect(start.hasSuffix("<CMD Error>"))
        #expect(Self.values(try console.run("call .counter lua inc")) == ["v2", "5"])

        // v3 never calls skynet.start: refused once the time limit has passed.
        try node.folder.write("counter.lua", "local skynet = require \"skynet\"\n")
        let never = try console.run("reload .counter")
        #expect(never.hasPrefix("the new version did not finish starting within"), "\(never)")
        #expect(Self.values(try console.run("call .counter lua inc")) == ["v2", "6"])

        // The running version's on_reload raises: nothing starts.
        try node.folder.write("counter.lua", Self.counter("v3"))
        try node.folder.write("raising.lua", "local skynet = require \"skynet\"\nskynet.on_reload(function() error(\"keep me\") end)\n")
        #expect(try console.run("inject .counter \(node.folder.path)/raising.lua") == "<CMD OK>")
        let raising = try console.run("reload .counter")
        #expect(raising.hasPrefix("on_reload raised: ") && raising.contains("keep me"), "\(raising)")
        #expect(Self.values(try console.run("call .counter lua inc")) == ["v2", "7"])

        // Only the reload that worked is a patch.
        let patches = try console.run("patches .counter").split(separator: "\n")
        #expect(patches.count == 2 && patches[0].hasPrefix("#1 reload_service counter"), "\(patches)")
        #expect(node.output.log.filter { $0.contains("reload failed: ") }.count == 4)
    }

    @Test func aReloadWaitsForARequestSuspendedInACallAndServesWhatCameMeanwhileWithTheNewVersion() throws {
        let (node, port) = try Self.node()
        let console = try ConsoleSession(port: port)
        // A request of .counter waits on .slowpoke, which holds its answer.
        let slow = Thread.detached { try ConsoleClient.run(port: port, lines: ["call .counter lua slow"]) }
        _ = try node.output.waitForPrint { $0 == "slowpoke holds 1" }

        try node.folder.write("counter.lua", Self.counter("v2"))
        let reload = Thread.detached { try ConsoleClient.run(port: port, lines: ["reload .counter"]) }
        try node.output.waitForLine(from: "counter", containing: "reload waits for a call to .slowpoke")
        // A request sent while the reload waits is held, then served by v2.
        let inc = Thread.detached { try ConsoleClient.run(port: port, lines: ["call .counter lua inc"]) }
        try node.output.waitForLogs(containing: "connected", count: 4)
        #expect(try console.run("call .slowpoke lua release") == "1\ttrue\nn\t1\n<CMD OK>")

        #expect(try slow.value().contains("1\tv1\n2\treleased\n"))
        #expect(try reload.value() == "Welcome to skynet console\nreloaded :0000000a: patch #1\n<CMD OK>\n")
        #expect(try inc.value() == "Welcome to skynet console\n1\tv2\n2\t1\nn\t2\n<CMD OK>\n")
    }

    @Test func aReloadThatWaitsTooLongFailsNamingWhatItWaitedForAndChangesNothing() throws {
        let (node, port) = try Self.node(environment: ["reload_timeout": "0.3"])
        let console = try ConsoleSession(port: port)
        let slow = Thread.detached { try ConsoleClient.run(port: port, lines: ["call .counter lua slow"]) }
        _ = try node.output.waitForPrint { $0 == "slowpoke holds 1" }
        try node.folder.write("counter.lua", Self.counter("v2"))
        let answer = try console.run("reload .counter")
        #expect(answer.hasPrefix("still in flight after 0.3 s: "), "\(answer)")
        #expect(answer.contains("a call to .slowpoke (session "), "\(answer)")
        #expect(answer.hasSuffix("<CMD Error>"))
        #expect(Self.values(try console.run("call .counter lua inc")) == ["v1", "1"])
        _ = try console.run("call .slowpoke lua release")
        #expect(try slow.value().contains("1\tv1\n2\treleased\n"))
        #expect(try console.run("reload .counter") == "reloaded :0000000a: patch #1\n<CMD OK>")
    }
}

extension Thread {
    /// Runs `body` on a thread of its own; `value()` waits for its result.
    final class Detached<T: Sendable>: @unchecked Sendable {
        private let done = NSCondition()
        private var result: Result<T, Error>?

        init(_ body: @escaping @Sendable () throws -> T) {
            Thread.detachNewThread { [self] in
                let r = Result { try body() }
                done.lock()
                result = r
                done.broadcast()
                done.unlock()
            }
        }

        func value() throws -> T {
            done.lock()
            defer { done.unlock() }
            while result == nil { done.wait() }
            return try result!.get()
        }
    }

    static func detached<T: Sendable>(_ body: @escaping @Sendable () throws -> T) -> Detached<T> { Detached(body) }
}
