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
        #expect(ConsoleClient.values(try console.run("call :0a lua get")) == ["v2", "\(answers)", "\(pushes)", "0"])
        #expect(try console.run("list").contains(":0000000a\tsnlua counter"))
        let patches = try console.run("patches .counter")
        #expect(patches.hasPrefix("#1 reload_service counter sha1:"), "\(patches)")
        #expect(patches.contains("by anonymous: service counter "))
        try node.output.waitForLine(from: "counter", containing: "patch #1 applied: reload_service counter by anonymous")
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
        #expect(ConsoleClient.values(try console.run("call .counter lua inc")) == ["v2", "4"])

        // v3 compiles but its start function raises.
        try node.folder.write(
            "counter.lua",
            Self.counter("v3").replacingOccurrences(of: "skynet.start(function()", with: "skynet.start(function() error(\"no start\")"))
        let start = try console.run("reload .counter")
        #expect(start.hasPrefix("the new version's start failed: ") && start.contains("no start"), "\(start)")
        #expect(start.hasSuffix("<CMD Error>"))
        #expect(ConsoleClient.values(try console.run("call .counter lua inc")) == ["v2", "5"])

        // v3 never calls skynet.start: refused once the time limit has passed.
        try node.folder.write("counter.lua", "local skynet = require \"skynet\"\n")
        let never = try console.run("reload .counter")
        #expect(never.hasPrefix("the new version did not finish starting within"), "\(never)")
        #expect(ConsoleClient.values(try console.run("call .counter lua inc")) == ["v2", "6"])

        // The running version's on_reload raises: nothing starts.
        try node.folder.write("counter.lua", Self.counter("v3"))
        try node.folder.write("raising.lua", "local skynet = require \"skynet\"\nskynet.on_reload(function() error(\"keep me\") end)\n")
        #expect(try console.run("inject .counter \(node.folder.path)/raising.lua") == "<CMD OK>")
        let raising = try console.run("reload .counter")
        #expect(raising.hasPrefix("on_reload raised: ") && raising.contains("keep me"), "\(raising)")
        #expect(ConsoleClient.values(try console.run("call .counter lua inc")) == ["v2", "7"])

        // Only the reload that worked is a patch.
        let patches = try console.run("patches .counter").split(separator: "\n")
        #expect(patches.count == 2 && patches[0].hasPrefix("#1 reload_service counter"), "\(patches)")
        #expect(try node.output.waitForLogs(containing: "reload failed: ", count: 4).count == 4)
    }

    /// The console clients of a reload of .counter (v2 on disk) that waits for a request of
    /// .counter suspended in .slowpoke's call (`slow`), and of a request sent while it waits
    /// (`inc`), each on a thread of its own.
    struct WaitingReload {
        let slow, reload, inc: Thread.Detached<String>
    }

    static func reloadWaitingForSlowpoke(_ node: TestNode, port: UInt16) throws -> WaitingReload {
        // A request of .counter waits on .slowpoke, which holds its answer.
        let slow = Thread.detached { try ConsoleClient.run(port: port, lines: ["call .counter lua slow"]) }
        _ = try node.output.waitForPrint { $0 == "slowpoke holds 1" }
        try node.folder.write("counter.lua", Self.counter("v2"))
        let reload = Thread.detached { try ConsoleClient.run(port: port, lines: ["reload .counter"]) }
        try node.output.waitForLine(from: "counter", containing: "reload waits for a call to .slowpoke")
        let inc = Thread.detached { try ConsoleClient.run(port: port, lines: ["call .counter lua inc"]) }
        // (the console session of the test, then these three)
        try node.output.waitForLogs(containing: "connected", count: 4)
        return WaitingReload(slow: slow, reload: reload, inc: inc)
    }

    @Test func aReloadWaitsForARequestSuspendedInACallAndServesWhatCameMeanwhileWithTheNewVersion() throws {
        let (node, port) = try Self.node()
        let console = try ConsoleSession(port: port)
        let waiting = try Self.reloadWaitingForSlowpoke(node, port: port)
        #expect(try console.run("call .slowpoke lua release") == "1\ttrue\nn\t1\n<CMD OK>")

        #expect(try waiting.slow.value().contains("1\tv1\n2\treleased\n"))
        #expect(try waiting.reload.value() == "Welcome to skynet console\nreloaded :0000000a: patch #1\n<CMD OK>\n")
        // The request sent while the reload waited was held, then served by v2.
        #expect(try waiting.inc.value() == "Welcome to skynet console\n1\tv2\n2\t1\nn\t2\n<CMD OK>\n")
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
        #expect(ConsoleClient.values(try console.run("call .counter lua inc")) == ["v1", "1"])
        _ = try console.run("call .slowpoke lua release")
        #expect(try slow.value().contains("1\tv1\n2\treleased\n"))
        #expect(try console.run("reload .counter") == "reloaded :0000000a: patch #1\n<CMD OK>")
    }

    @Test func aServiceKilledWhileItsReloadWaitsFailsWhatItHeldAndTheNodeGoesOn() throws {
        let (node, port) = try Self.node()
        let console = try ConsoleSession(port: port)
        let waiting = try Self.reloadWaitingForSlowpoke(node, port: port)

        #expect(try console.run("kill .counter").hasSuffix("<CMD OK>"))
        #expect(try waiting.reload.value() == "Welcome to skynet console\nthe service retired during its reload\n<CMD Error>\n")
        #expect(try waiting.inc.value().hasSuffix("<CMD Error>\n"))
        // (the request suspended in .slowpoke's call is lost with the service, as on Skynet:
        // its caller, `slow`, waits until the node stops)
        #expect(try console.run("call .slowpoke lua release") == "1\ttrue\nn\t1\n<CMD OK>")
        #expect(try console.run("list").contains(":0000000a") == false)
    }

    @Test func whatIsNotALuaServiceOrNotThereIsRefused() throws {
        let (node, port) = try Self.node()
        defer { withExtendedLifetime(node) {} }
        let console = try ConsoleSession(port: port)
        #expect(try console.run("reload :01").hasSuffix("<CMD Error>"))
        #expect(try console.run("reload :0000ffff") == "Unknown address :0000ffff (no such service)\n<CMD Error>")
        #expect(try console.run("reload .nobody") == "Unknown address .nobody (no service has this name)\n<CMD Error>")
        #expect(try console.run("reloadall nothing") == "no running service was started from nothing\n<CMD Error>")
        #expect(ConsoleClient.values(try console.run("call .counter lua inc")) == ["v1", "1"])
    }

    @Test func rollbackStartsTheCodeAReloadReplacedWithTheStateAsItIsNow() throws {
        let (node, port) = try Self.node()
        let console = try ConsoleSession(port: port)
        try node.folder.write("hello.lua", luaSource("addHello.lua"))
        #expect(try console.run("inject .counter \(node.folder.path)/hello.lua") == "<CMD OK>")
        #expect(ConsoleClient.values(try console.run("call .counter lua hello")) == ["hello"])
        #expect(ConsoleClient.values(try console.run("call .counter lua inc")) == ["v1", "1"])
        try node.folder.write("counter.lua", Self.counter("v2"))
        #expect(try console.run("reload .counter") == "reloaded :0000000a: patch #2\n<CMD OK>")
        #expect(ConsoleClient.values(try console.run("call .counter lua inc")) == ["v2", "2"])
        try node.folder.write("counter.lua", Self.counter("v3"))
        #expect(try console.run("reload .counter") == "reloaded :0000000a: patch #3\n<CMD OK>")
        #expect(ConsoleClient.values(try console.run("call .counter lua inc")) == ["v3", "3"])

        let patches = try console.run("patches .counter").split(separator: "\n")
        #expect(patches.count == 4, "\(patches)")
        #expect(patches[0].hasPrefix("#1 inject \(node.folder.path)/hello.lua "))
        #expect(patches[1].hasPrefix("#2 reload_service counter ") && patches[2].hasPrefix("#3 reload_service counter "))

        // The file holds v3 all along: each rollback starts the code the reload replaced, with
        // the count as it is now.
        #expect(
            try console.run("rollback .counter") == "rolled back #3 reload_service counter: the code it replaced serves again\n<CMD OK>")
        #expect(ConsoleClient.values(try console.run("call .counter lua inc")) == ["v2", "4"])
        #expect(
            try console.run("rollback .counter") == "rolled back #2 reload_service counter: the code it replaced serves again\n<CMD OK>")
        #expect(ConsoleClient.values(try console.run("call .counter lua inc")) == ["v1", "5"])
        // v1 as it was loaded: the inject made into it before the reload is not part of it, and
        // its record stays as history that cannot be rolled back.
        #expect(try console.run("call .counter lua hello").hasSuffix("<CMD Error>"))
        let left = try console.run("patches .counter").split(separator: "\n")
        #expect(left.count == 2 && left[0].hasPrefix("#1 inject "), "\(left)")
        #expect(
            try console.run("rollback .counter")
                == "stopped: #1 inject \(node.folder.path)/hello.lua: it patched the code a reload replaced\n<CMD Error>")
        // Ids go on from the last one.
        #expect(try console.run("reload .counter") == "reloaded :0000000a: patch #4\n<CMD OK>")
        #expect(ConsoleClient.values(try console.run("call .counter lua inc")) == ["v3", "6"])
    }

    @Test func reloadallReloadsEveryServiceOfAScriptAllOrNoneOnRequest() throws {
        let (node, port) = try Self.node(services: ["counter a", "counter odd"])
        let console = try ConsoleSession(port: port)
        // v2 does not start in the service launched as `counter odd` (:0d).
        let v2 = Self.counter("v2").replacingOccurrences(
            of: #"local VERSION = "v2""#, with: #"local VERSION = "v2"\#nif (...) == "odd" then error("odd one out") end"#)
        try node.folder.write("counter.lua", v2)

        let all = try console.run("reloadall counter rollback").split(separator: "\n", omittingEmptySubsequences: false)
        #expect(all.first == "reloadall counter: 3 services, 2 reloaded, 1 failed", "\(all)")
        #expect(all.contains(":0000000a ok: reloaded :0000000a: patch #1"))
        #expect(all.contains(":0000000c ok: reloaded :0000000c: patch #1"))
        #expect(all.contains { $0.hasPrefix(":0000000d FAILED: ") && $0.contains("odd one out") })
        #expect(all.contains(":0000000a rolled back #1 reload_service counter: the code it replaced serves again"))
        #expect(all.contains(":0000000c rolled back #1 reload_service counter: the code it replaced serves again"))
        #expect(all.last == "<CMD Error>")
        for address in [":0a", ":0c", ":0d"] {
            #expect(ConsoleClient.values(try console.run("call \(address) lua inc")) == ["v1", "1"], "\(address)")
            #expect(try console.run("patches \(address)").hasSuffix("runs no patch\n<CMD OK>"))
        }

        // Without `rollback`, those that can go to v2 do.
        let some = try console.run("reloadall counter").split(separator: "\n")
        #expect(some.first == "reloadall counter: 3 services, 2 reloaded, 1 failed")
        #expect(some.last == "<CMD Error>")
        #expect(ConsoleClient.values(try console.run("call :0a lua inc")) == ["v2", "2"])
        #expect(ConsoleClient.values(try console.run("call :0c lua inc")) == ["v2", "2"])
        #expect(ConsoleClient.values(try console.run("call :0d lua inc")) == ["v1", "2"])
    }

    @Test func onANodeWithAnUpdateKeyAReloadNeedsATokenAndIsAudited() throws {
        let audit = NSTemporaryDirectory() + "skyhost-reload-audit-" + UUID().uuidString + ".log"
        defer { try? FileManager.default.removeItem(atPath: audit) }
        let (node, port) = try Self.node(environment: ["update_key": "key-" + UUID().uuidString, "audit_log": audit])
        let token = String(try node.output.waitForPrint { $0.hasPrefix("TOKEN ") }.dropFirst("TOKEN ".count))
        let console = try ConsoleSession(port: port)
        try node.folder.write("counter.lua", Self.counter("v2"))

        #expect(try console.run("reload .counter").hasSuffix("<CMD Error>"))
        #expect(try console.run("call .counter debug RELOAD").hasSuffix("<CMD Error>"))
        #expect(ConsoleClient.values(try console.run("call .counter lua inc")) == ["v1", "1"])
        #expect(try console.run("reload .counter --token \(token)") == "reloaded :0000000a: patch #1\n<CMD OK>")
        #expect(try console.run("patches .counter").contains(" by alice: service counter "))
        #expect(try console.run("rollback .counter").hasSuffix("<CMD Error>"))
        #expect(try console.run("rollback .counter --token \(token)").hasPrefix("rolled back #1 reload_service counter"))
        #expect(ConsoleClient.values(try console.run("call .counter lua inc")) == ["v1", "2"])

        let lines = try String(contentsOfFile: audit, encoding: .utf8).split(separator: "\n")
        #expect(lines.contains { $0.contains("who=-\twhat=console reload :0000000a\tresult=refused: no token") }, "\(lines)")
        #expect(lines.contains { $0.contains("who=alice\twhat=console reload :0000000a\tresult=accepted") })
        #expect(lines.contains { $0.contains("who=alice\twhat=console rollback :0000000a\tresult=accepted") })
        try node.output.waitForLine(from: "counter", containing: "patch #1 applied: reload_service counter by alice")
    }

    @Test func theUpdaterAndTheSwiftAPIReloadAsTheConsoleDoes() async throws {
        let (node, port) = try Self.node(services: ["updater"])
        try node.folder.write("counter.lua", Self.counter("v2"))
        let byName = try ConsoleClient.run(port: port, lines: ["call .updater lua reload_service .counter"])
        #expect(byName.contains("1\t1\n2\tOK: reload_service .counter: reloaded :0000000a: patch #1\n"), "\(byName)")
        try node.folder.write("counter.lua", "local broken = = 1\n")
        let byScript = try ConsoleClient.run(port: port, lines: ["call .updater lua reload_service counter"])
        #expect(
            byScript.contains(
                "1\t0\n2\tFAILED: reload_service counter: reloadall counter: 1 services, 0 reloaded, 1 failed; :0000000a FAILED: "),
            "\(byScript)")

        try node.folder.write("counter.lua", Self.counter("v3"))
        let counter = ServiceAddress(0x0a)
        #expect(try await node.node.reload(counter) == "reloaded :0000000a: patch #2")
        #expect(try await node.node.call(counter, ["inc"]) == ["v3", 1])
        #expect(try await node.node.patches(of: counter).map(\.kind) == ["reload_service", "reload_service"])
        #expect(try await node.node.patches(of: counter).last?.operator == "swift")
        #expect(try await node.node.rollback(counter) == ["rolled back #2 reload_service counter: the code it replaced serves again"])
        #expect(try await node.node.call(counter, ["inc"]) == ["v2", 2])

        try node.folder.write("counter.lua", "local broken = = 1\n")
        await #expect(throws: SkyhostError.self) { try await node.node.reload(counter) }
        #expect(try await node.node.call(counter, ["inc"]) == ["v2", 3])
        let results = await node.node.reload(servicesOf: "counter")
        #expect(results.count == 1)
        if case .failure(.hotfixFailed(let why))? = results[counter] {
            #expect(why.contains("unexpected symbol near '='"))
        } else {
            Issue.record("reload(servicesOf:) of a broken file: \(results)")
        }
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
