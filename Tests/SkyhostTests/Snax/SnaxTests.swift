import Foundation
import Testing

/// Skynet's snax services on real nodes: the client API, snaxd, and snax.hotfix as a patch
/// (while requests flow, all or nothing, with a token, in `patches`, rolled back).
@Suite struct SnaxTests {
    /// A node (its config's `snax` is the test's folder) running the console and the counter
    /// (:0a, `.counter`, started at 10) with `.asker` (the console's way to it), then
    /// `services`; with its console's port.
    static func node(services: [String] = [], environment: [String: String] = [:]) throws -> (TestNode, UInt16) {
        var env = environment
        env["test_services"] = services.joined(separator: ",")
        var files: [String: String] = [:]
        for name in ["main", "counter", "asker", "client", "adder", "patchV2", "patchMismatch", "patchRaising"] {
            files[name + ".lua"] = luaSource(name + ".lua")
        }
        let node = try TestNode(files, environment: env)
        _ = try node.output.waitForPrint { $0 == "ready" }
        return (node, try ConsoleTests.consolePort(node))
    }

    @Test func aSnaxServiceAnswersPostsAndExitsAsOnSkynet() throws {
        let (node, _) = try Self.node(services: ["client"])
        _ = try node.output.waitForPrint { $0 == "done" }
        var results: [String: String] = [:]
        for line in node.output.stdout {
            let parts = line.split(separator: "\t", maxSplits: 1, omittingEmptySubsequences: false)
            if parts.count == 2 { results[String(parts[0])] = String(parts[1]) }
        }
        #expect(results["object"] == "true")
        #expect(results["add"] == "v1 15")
        #expect(results["post"] == "0")
        #expect(results["get"] == "v1 16")
        #expect(results["missing"]?.hasPrefix("false ") == true && results["missing"]?.contains("request counter:nothing no exist") == true)
        #expect(results["ids"] == "1 2 3 4 5 6 7")
        #expect(results["profile"] == "1 1 1")
        #expect(results["unique"] == "v1 100")
        #expect(results["query"] == "true")
        #expect(results["fresh"] == "v1 8")
        #expect(node.output.stdout.contains("counter exits: killed by the client"))
        #expect(results["killed"]?.hasPrefix("false ") == true)
        try node.output.waitForLine(from: "snaxd", containing: "counter starts at 10")
    }

    @Test func aHotfixWhileRequestsFlowLosesNoneAndKeepsTheCount() throws {
        let (node, port) = try Self.node(services: ["adder"])
        _ = try node.output.waitForPrint(timeout: 60) { $0 == "adder at 5000" }
        let console = try ConsoleSession(port: port)
        let answer = try console.run("snaxhotfix .counter \(node.folder.path)/patchV2.lua extra")
        let returned = ConsoleClient.values(answer)
        #expect(returned.count == 3 && returned[0] == "count was" && returned[2] == "extra", "\(answer)")
        let line = try node.output.waitForPrint(timeout: 60) { $0.hasPrefix("adder: ") }
        // "adder: N answers, 0 out of step, P patched, 0 old after new, last L"
        let words = line.split(separator: " ")
        let answers = Int(words[1]) ?? 0
        #expect(line.contains(" answers, 0 out of step, ") && line.contains(" patched, 0 old after new, "), "\(line)")
        #expect(words.last.flatMap { Int($0) } == 10 + answers, "every add counted once, from the count init set")
        #expect(ConsoleClient.values(try console.run("call .asker lua get")) == ["v2", "\(10 + answers)"])
        let patches = try console.run("patches .counter")
        #expect(patches.hasPrefix("#1 snax_hotfix counter sha1:") && patches.contains("by anonymous: 2 methods"), "\(patches)")
    }

    @Test func aHotfixThatFailsChangesNothing() throws {
        let (node, port) = try Self.node()
        let console = try ConsoleSession(port: port)
        #expect(ConsoleClient.values(try console.run("call .asker lua add 3")) == ["v1", "13"])
        let mismatch = try console.run("snaxhotfix .counter \(node.folder.path)/patchMismatch.lua")
        #expect(mismatch == "Patch mismatch response.nothing\n<CMD Error>")
        let raising = try console.run("snaxhotfix .counter \(node.folder.path)/patchRaising.lua")
        #expect(raising.contains("hotfix refuses") && raising.hasSuffix("<CMD Error>"), "\(raising)")
        let syntax = try console.run("snaxhotfix .counter \(node.folder.path)/counter.lua.missing")
        #expect(syntax.hasPrefix("Can't open ") && syntax.hasSuffix("<CMD Error>"))
        // The methods and the count as they were; no patch.
        #expect(ConsoleClient.values(try console.run("call .asker lua get")) == ["v1", "13"])
        #expect(try console.run("patches .counter") == ":0000000a runs no patch\n<CMD OK>")
    }

    @Test func onANodeWithAnUpdateKeyASnaxHotfixNeedsATokenIsAuditedAndRollsBack() throws {
        let audit = NSTemporaryDirectory() + "skyhost-snax-audit-" + UUID().uuidString + ".log"
        defer { try? FileManager.default.removeItem(atPath: audit) }
        let (node, port) = try Self.node(
            services: ["updater"], environment: ["update_key": "key-" + UUID().uuidString, "audit_log": audit])
        let token = String(try node.output.waitForPrint { $0.hasPrefix("TOKEN ") }.dropFirst("TOKEN ".count))
        let console = try ConsoleSession(port: port)
        let patch = "\(node.folder.path)/patchV2.lua"

        #expect(try console.run("snaxhotfix .counter \(patch)").hasSuffix("<CMD Error>"))
        #expect(try console.run("call .counter debug SNAX_HOTFIX").hasSuffix("<CMD Error>"))
        #expect(ConsoleClient.values(try console.run("call .asker lua add 1")) == ["v1", "11"])
        #expect(try console.run("snaxhotfix .counter \(patch) --token \(token)").hasSuffix("<CMD OK>"))
        #expect(ConsoleClient.values(try console.run("call .asker lua add 1")) == ["v2", "12"])
        #expect(try console.run("patches .counter").contains("#1 snax_hotfix counter sha1:"))
        #expect(try console.run("patches .counter").contains(" by alice: 2 methods"))

        #expect(try console.run("rollback .counter").hasSuffix("<CMD Error>"))
        #expect(try console.run("rollback .counter --token \(token)") == "rolled back #1 snax_hotfix counter: 2 methods restored\n<CMD OK>")
        #expect(ConsoleClient.values(try console.run("call .asker lua add 1")) == ["v1", "13"])

        // The updater's way, with the token.
        let updater = try console.run("call .updater lua snax_hotfix .counter \(patch) --token \(token)")
        #expect(updater.hasPrefix("1\ttrue\n2\tcount was\n"), "\(updater)")
        #expect(ConsoleClient.values(try console.run("call .asker lua add 1")) == ["v2", "14"])
        #expect(try console.run("patches .counter").contains("#2 snax_hotfix counter sha1:"))

        let lines = try String(contentsOfFile: audit, encoding: .utf8).split(separator: "\n")
        #expect(lines.contains { $0.contains("who=-\twhat=console snaxhotfix :0000000a \(patch)\tresult=refused: no token") }, "\(lines)")
        #expect(lines.contains { $0.contains("who=alice\twhat=console snaxhotfix :0000000a \(patch)\tresult=accepted") })
        try node.output.waitForLog(containing: "patch #1 applied: snax hotfix of counter by alice (2 methods)")
    }
}
