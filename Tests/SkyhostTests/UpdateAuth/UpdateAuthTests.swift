import Foundation
import Glibc
import Testing

@testable import Skyhost

/// Update authorisation (lualib/update_auth.lua) on every update path of a real node: the console's
/// inject / dbgcmd RUN / calls to the update services, the updater's own commands, and
/// scripts/hotfix.sh.
@Suite struct UpdateAuthTests {
    // MARK: Update authorisation

    /// (The hotfix file is patch.lua: a hotfix.lua in the services' folder would shadow
    /// lualib/hotfix.lua, which the updater requires.)
    /// A service with a `handles` table that a hotfix can patch, and an `_hotfix` hook for the
    /// updater.
    static let target = luaSource("target.lua")

    static let hotfix = luaSource("hotfix.lua")

    /// Console :09, target :0a, updater :0b, config_mgr :0c. Prints tokens ("TOKEN kind value")
    /// and what the updater answers to an in-node caller without and with a token.
    static let authMain = luaSource("authMain.lua")

    struct AuthNode {
        let node: TestNode
        let port: UInt16
        let tokens: [String: String]
        let auditLog: String
        var hotfixPath: String { node.folder.path + "/patch.lua" }

        func audit() -> [String] {
            ((try? String(contentsOfFile: auditLog, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        }
    }

    static func authNode() throws -> AuthNode {
        let auditLog = NSTemporaryDirectory() + "skyhost-audit-" + UUID().uuidString + ".log"
        let node = try TestNode(
            ["main.lua": authMain, "target.lua": target, "patch.lua": hotfix],
            environment: ["update_key": "test-key-" + UUID().uuidString, "audit_log": auditLog])
        _ = try node.output.waitForPrint { $0 == "ready" }
        let port = try ConsoleTests.consolePort(node)
        var tokens: [String: String] = [:]
        for line in node.output.stdout where line.hasPrefix("TOKEN ") {
            let parts = line.split(separator: " ")
            tokens[String(parts[1])] = String(parts[2])
        }
        return AuthNode(node: node, port: port, tokens: tokens, auditLog: auditLog)
    }

    @Test func updatesNeedAValidTokenAndAreAudited() throws {
        let n = try Self.authNode()
        defer { try? FileManager.default.removeItem(atPath: n.auditLog) }
        let t = n.tokens
        let log = n.node.output
        try log.waitForLog(containing: "update authorisation: ON")

        // An in-node caller of the updater: refused without a token, served with one.
        #expect(
            log.stdout.contains(
                "DIRECT\twithout\tfalse\tupdate refused: a token is required on this node (--token OPERATOR:TIMESTAMP:SIGNATURE)"))
        #expect(log.stdout.contains("DIRECT\twith\t1\tOK: update_service target: 1 of 1 updated"))

        let answers = try ConsoleSession(port: n.port).answers([
            "inject :0a \(n.hotfixPath)",
            "inject :0a \(n.hotfixPath) --token \(t["expired"]!)",
            "inject :0a \(n.hotfixPath) --token \(t["forged"]!)",
            "inject :0a \(n.hotfixPath) --token alice:12:",
            "inject :0a \(n.hotfixPath) --token \(t["future"]!)",
            "inject :0a \(n.hotfixPath) --token \(t["renamed"]!)",
            "call :0a lua who",
            "dbgcmd :0a RUN print(1) x",
            "call :0a debug RUN print(1) x",
            "getenv update_key",
            "call .updater lua update_service target",
            "call .config_mgr lua update values level 2",
            "call .config_mgr lua get_item values level",
            "inject :0a \(n.hotfixPath) one two --token \(t["valid"]!)",
            "call :0a lua who",
            "call .updater lua update_service target --token \(t["valid"]!)",
            "call .config_mgr \"update\", \"values\", \"level\", 2 --token \(t["valid"]!)",
            "call .config_mgr lua get_item values level",
        ])
        let required = "update refused: a token is required on this node (--token OPERATOR:TIMESTAMP:SIGNATURE)\n<CMD Error>"
        #expect(answers[0] == required)
        #expect(
            answers[1].wholeMatch(of: #/update refused: 令牌已过期 \(token expired: made 30[0-9] s ago, valid for 300 s\)\n<CMD Error>/#) != nil,
            "\(answers[1])")
        #expect(answers[2] == "update refused: 签名验证失败 (bad signature: the token was not made with this node's key)\n<CMD Error>")
        #expect(answers[3] == "update refused: 令牌格式错误 (malformed token: expected OPERATOR:TIMESTAMP:SIGNATURE)\n<CMD Error>")
        #expect(
            answers[4].wholeMatch(of: #/update refused: 令牌时间无效 \(token timestamp is 3(5[0-9][0-9]|600) s in the future\)\n<CMD Error>/#)
                != nil, "\(answers[4])")
        #expect(answers[5] == answers[2])
        #expect(answers[6] == "1\toriginal\nn\t1\n<CMD OK>", "reading needs no token")
        #expect(answers[7] == required, "dbgcmd RUN is an inject")
        #expect(answers[8] == required, "call ... debug RUN is an inject")
        #expect(answers[9] == "update_key is secret: the console does not show it\n<CMD Error>")
        #expect(answers[10] == required)
        #expect(answers[11] == required)
        #expect(answers[12] == "n\t1\n<CMD OK>", "config_mgr's get_item needs no token")
        #expect(answers[13] == "patched\tone\ttwo\n<CMD OK>")
        #expect(answers[14] == "1\tpatched\nn\t1\n<CMD OK>")
        #expect(answers[15] == "1\t1\n2\tOK: update_service target: 1 of 1 updated\nn\t2\n<CMD OK>")
        #expect(answers[16] == "1\ttrue\nn\t1\n<CMD OK>")
        #expect(answers[17] == "1\t2\nn\t1\n<CMD OK>")

        // The audit log: who, what, when, result, and which service decided.
        let audit = n.audit()
        let stamp = #"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4}\t"#
        #expect(audit.allSatisfy { $0.range(of: stamp, options: .regularExpression) != nil }, "\(audit)")
        func has(_ text: String) -> Bool { audit.contains { $0.contains(text) } }
        #expect(has("who=-\twhat=updater update_service target\tresult=refused: no token\tby=:0000000b updater"), "\(audit)")
        #expect(has("who=bob\twhat=updater update_service target\tresult=accepted\tby=:0000000b updater"))
        #expect(has("who=-\twhat=console inject :0000000a \(n.hotfixPath)\tresult=refused: no token\tby=:00000009 debug_console"))
        #expect(has("who=alice (unverified)\twhat=console inject :0000000a \(n.hotfixPath)\tresult=refused: 令牌已过期"))
        #expect(has("result=refused: 签名验证失败"))
        #expect(has("what=console inject :0000000a \(n.hotfixPath)\tresult=refused: 令牌格式错误"))
        #expect(has("who=mallory (unverified)\twhat=console inject"))
        #expect(has("who=alice\twhat=console inject :0000000a \(n.hotfixPath) one two\tresult=accepted"))
        #expect(has("who=alice\twhat=console call :0000000b lua update_service target\tresult=accepted"))
        #expect(has("who=alice\twhat=updater update_service target\tresult=accepted\tby=:0000000b updater"))
        #expect(has("who=alice\twhat=console call :0000000c lua update values level 2\tresult=accepted"))
        #expect(has("what=console call :0000000a debug RUN print(1) x\tresult=refused: no token"))
        #expect(!has("get_item"), "reads are not audited")
        // ... and the same decisions in the node log.
        #expect(log.log.filter { $0.contains("update audit: ") }.count == audit.count)
    }

    @Test func hotfixScriptPassesTheTokenAlong() throws {
        let n = try Self.authNode()
        defer { try? FileManager.default.removeItem(atPath: n.auditLog) }
        let folder = try ServiceFolder(["config.node1": "console = \"127.0.0.1:\(n.port)\"\n"])
        let script = ConfigReloadTests.root + "/scripts/hotfix.sh"

        let refused = try Self.shell(["bash", script, "node1", "service", "target"], in: folder.path)
        #expect(refused.status == 1, "\(refused.output)")
        #expect(refused.output.contains("更新失败: update refused: a token is required"), "\(refused.output)")

        let forged = try Self.shell(
            ["bash", script, "node1", "service", "target"], in: folder.path,
            environment: ["SKYHOST_UPDATE_TOKEN": n.tokens["forged"]!])
        #expect(forged.status == 1, "\(forged.output)")
        #expect(forged.output.contains("签名验证失败"), "\(forged.output)")

        let accepted = try Self.shell(
            ["bash", script, "node1", "service", "target"], in: folder.path,
            environment: ["SKYHOST_UPDATE_TOKEN": n.tokens["valid"]!])
        #expect(accepted.status == 0, "\(accepted.output)")
        #expect(accepted.output.contains("OK: update_service target: 1 of 1 updated"), "\(accepted.output)")
        #expect(accepted.output.contains("更新完成"))
        #expect(n.audit().contains { $0.contains("who=alice\twhat=updater update_service target\tresult=accepted") })
    }

    @Test func withoutAKeyUpdatesRunAsOnSkynet() throws {
        let node = try TestNode([
            "target.lua": Self.target,
            "patch.lua": Self.hotfix,
            "main.lua": luaSource("withoutAKeyUpdatesRunAsOnSkynet/main.lua"),
        ])
        _ = try node.output.waitForPrint { $0 == "ready" }
        try node.output.waitForLog(containing: "update authorisation: OFF -- no update_key in the config and no SKYHOST_UPDATE_KEY")
        let port = try ConsoleTests.consolePort(node)
        let hotfix = node.folder.path + "/patch.lua"
        let answers = try ConsoleSession(port: port).answers([
            "inject :0a \(hotfix) a",
            "inject :0a \(hotfix) b --token whatever",
            "call .updater lua update_service target",
            "call :0a lua who",
        ])
        #expect(
            answers == [
                "patched\ta\n<CMD OK>",
                "patched\tb\n<CMD OK>",
                "1\t1\n2\tOK: update_service target: 1 of 1 updated\nn\t2\n<CMD OK>",
                "1\tpatched\nn\t1\n<CMD OK>",
            ])
        #expect(!node.output.log.contains { $0.contains("update audit") })
    }

    // MARK: The console off this machine

    /// A node whose console (:09) listens on `ip`, port chosen by the system, with the updater
    /// (:0a), config_mgr (:0b) and version_mgr (:0c); main prints "TOKEN token" (with a key) and
    /// "ready". Returns the node and the console's port.
    static func exposedConsole(_ ip: String, key: String?) throws -> (TestNode, UInt16) {
        var environment = [
            "version_file": NSTemporaryDirectory() + "skyhost-versions-" + UUID().uuidString + ".json",
            "audit_log": NSTemporaryDirectory() + "skyhost-audit-" + UUID().uuidString + ".log",
        ]
        if let key { environment["update_key"] = key }
        environment["console_ip"] = ip
        let node = try TestNode(
            [
                "main.lua": luaSource("exposedConsole/main.lua")
            ], environment: environment)
        _ = try node.output.waitForPrint { $0 == "ready" }
        return (node, try ConsoleTests.consolePort(node, ip: ip))
    }

    static let listList = """
        :00000004\tsnlua cdummy
        :00000006\tsnlua datacenterd
        :00000007\tsnlua service_mgr
        :00000008\tsnlua main
        :00000009\tsnlua debug_console %@ 0
        :0000000a\tsnlua updater
        :0000000b\tsnlua config_mgr
        :0000000c\tsnlua version_mgr
        <CMD OK>
        """

    @Test func aConsoleOffThisMachineWithoutAKeyIsAnnounced() throws {
        let warning = "without an update key: anyone who can reach this port can change code; set update_key"
        // Every address, no key: the warning, with the address and port, once.
        let (open, port) = try Self.exposedConsole("0.0.0.0", key: nil)
        #expect(
            try ConsoleClient.run(port: port, lines: ["list"])
                == "Welcome to skynet console\n" + String(format: Self.listList, "0.0.0.0") + "\n")
        #expect(
            try Self.logAfterStart(open).filter { $0.contains(warning) }
                == ["[:00000009] debug_console: listening on 0.0.0.0:\(port) \(warning)"])
        // With a key, or on the loopback address: no warning.
        let (keyed, keyedPort) = try Self.exposedConsole("0.0.0.0", key: "test-key-" + UUID().uuidString)
        _ = try ConsoleClient.run(port: keyedPort, lines: ["list"])
        #expect(!(try Self.logAfterStart(keyed)).contains { $0.contains(warning) })
        let (local, localPort) = try Self.exposedConsole("127.0.0.1", key: nil)
        _ = try ConsoleClient.run(port: localPort, lines: ["list"])
        #expect(!(try Self.logAfterStart(local)).contains { $0.contains(warning) })
    }

    /// The node's log once the console has served a connection: its "disconnect" line comes after
    /// everything the console logged as it started (one service's lines reach the log in order).
    static func logAfterStart(_ node: TestNode) throws -> [String] {
        _ = try node.output.waitForLog(containing: "disconnect")
        return node.output.log
    }

    /// The update services' commands that change something, and the business services' update
    /// hooks (`_reload_module`, `_hotfix`), in every form of `call`, need a token; those that read
    /// do not; the key and the audit log's place cannot be set from the console.
    @Test func everyChangingCallToTheUpdateServicesNeedsAToken() throws {
        let (node, port) = try Self.exposedConsole("0.0.0.0", key: "test-key-" + UUID().uuidString)
        let token = try #require(node.output.stdout.first { $0.hasPrefix("TOKEN ") }?.dropFirst(6))
        let required = "update refused: a token is required on this node (--token OPERATOR:TIMESTAMP:SIGNATURE)\n<CMD Error>"
        let answers = try ConsoleSession(port: port).answers([
            "call .updater lua update_module anything",
            "call .updater lua run_script /no/such/script.lua",
            "call .updater \"update_module\", \"anything\"",
            "call :0a lua update_service anything",
            "call .config_mgr lua load values /no/such/values.json",
            "call .version_mgr lua set_version server 2.0",
            "call .version_mgr \"set_version\", \"server\", \"2.0\"",
            "call .version_mgr lua get_version server",
            "setenv update_key mine",
            "call .version_mgr lua set_version server 2.0 --token \(token)",
            "call .version_mgr lua get_version server",
            "call :0a lua _reload_module anything",
            "call :0a lua _hotfix",
            "call :0a \"_reload_module\", \"anything\"",
            "setenv audit_log /tmp/skyhost-audit-elsewhere.log",
            "setenv logpath /tmp",
        ])
        for i in [0, 1, 2, 3, 4, 5, 6, 11, 12, 13] { #expect(answers[i] == required, "line \(i + 1)") }
        #expect(answers[7] == "1\t1.0.0\nn\t1\n<CMD OK>", "a read needs no token")
        #expect(
            answers[8]
                == "setenv update_key refused: it guards code updates and is set only in the config file (or SKYHOST_UPDATE_KEY)\n<CMD Error>"
        )
        #expect(answers[9] == "1\ttrue\nn\t1\n<CMD OK>")
        #expect(answers[10] == "1\t2.0\nn\t1\n<CMD OK>")
        #expect(answers[14] == "setenv audit_log refused: it guards code updates and is set only in the config file\n<CMD Error>")
        #expect(answers[15] == "setenv logpath refused: it guards code updates and is set only in the config file\n<CMD Error>")
    }

    /// A key given in the environment (SKYHOST_UPDATE_KEY) cannot be replaced from inside the
    /// node: `skynet.setenv("update_key", ...)` from code in the node (the console refuses it) adds
    /// a config value when the config has none, and the environment's key still decides. Run as a process of its own,
    /// since the environment variable is the process's.
    @Test func aKeyFromTheEnvironmentCannotBeReplacedWithSetenv() throws {
        let folder = try ServiceFolder(["main.lua": luaSource("aKeyFromTheEnvironmentCannotBeReplacedWithSetenv/main.lua")])
        let (status, output) = try NodeProcess.run(
            ["--path", folder.path], in: folder.path,
            environment: ["SKYHOST_UPDATE_KEY": "the-real-key"])
        let lines = output.split(separator: "\n")
        #expect(status == 0, "\(output)")
        #expect(lines.contains("setenv\ttrue"), "\(output)")
        #expect(lines.contains("chosen key\tfalse"), "\(output)")
        #expect(lines.contains("real key\ttrue"), "\(output)")
    }

    // MARK: Helpers

    static func shell(
        _ arguments: [String], in directory: String,
        environment: [String: String] = [:]
    ) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        var env = ProcessInfo.processInfo.environment
        env["SKYHOST_UPDATE_TOKEN"] = nil
        for (k, v) in environment { env[k] = v }
        process.environment = env
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
