import Foundation
import Glibc
import Testing

/// scripts/hotfix.sh, backup.sh and rollback.sh against a real `skyhost config.node1` process
/// running the hot-update example (examples/hot_update) in a folder of its own.
@Suite struct HotUpdateScriptTests {

    /// A node folder laid out as an operator's: config.node1, service/, lualib/, updates/, scripts/.
    /// The node runs `skyhost config.node1` there; its console's port is written back into
    /// config.node1 (the scripts read it from there).
    final class Node {
        let folder: ServiceFolder
        let process: NodeProcess
        let port: UInt16

        init() throws {
            var files: [String: String] = [:]
            let example = packageRoot + "/examples/hot_update/"
            let walker = FileManager.default.enumerator(atPath: example)
            while let path = walker?.nextObject() as? String {
                guard path.hasSuffix(".lua") else { continue }
                files[path] = try String(contentsOfFile: example + path, encoding: .utf8)
            }
            files["config.node1"] = Self.config(port: 0)
            folder = try ServiceFolder(files)
            process = try NodeProcess(["config.node1"], in: folder.path)
            do {
                port = try process.consolePort()
                try waitForOutput("hot_update node ready")
            } catch {
                process.stop()
                throw error
            }
            try folder.write("config.node1", Self.config(port: port))
        }

        static func config(port: UInt16) -> String {
            """
            -- node1 of the hot-update example, for the script tests
            thread = 2
            start = "main"
            luaservice = "./service/?.lua"
            lua_path = "./lualib/?.lua"
            console = "127.0.0.1:\(port)"
            business_services = 2
            """
        }

        /// Waits until the node has printed a line containing `needle` (its log reaches us a
        /// little after the console's answer).
        func waitForOutput(_ needle: String) throws {
            _ = try process.waitFor(needle, timeout: 20) { $0.contains(needle) }
        }

        /// Copies examples/hot_update/updates/VERSION/lualib/business_logic.lua into lualib/.
        func install(_ version: String) throws {
            let source = version == "v1" ? "lualib/business_logic.lua" : "updates/\(version)/lualib/business_logic.lua"
            try folder.write(
                "lualib/business_logic.lua",
                String(contentsOfFile: packageRoot + "/examples/hot_update/" + source, encoding: .utf8))
        }

        /// One console command's answer, ending with a newline as the console sends it.
        func console(_ line: String) throws -> String {
            try ConsoleSession(port: port).run(line) + "\n"
        }

        struct Run {
            let status: Int32
            let stdout: String
            let stderr: String
        }

        /// Runs scripts/NAME with `arguments` in the node's folder.
        func script(_ name: String, _ arguments: String...) throws -> Run {
            let run = Process()
            run.executableURL = URL(fileURLWithPath: "/bin/bash")
            run.arguments = [packageRoot + "/scripts/" + name] + arguments
            run.currentDirectoryURL = URL(fileURLWithPath: folder.path)
            let out = Pipe()
            let err = Pipe()
            run.standardOutput = out
            run.standardError = err
            try run.run()
            let stdout = out.fileHandleForReading.readDataToEndOfFile()
            let stderr = err.fileHandleForReading.readDataToEndOfFile()
            run.waitUntilExit()
            return Run(
                status: run.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                stderr: String(decoding: stderr, as: UTF8.self))
        }

        /// SIGKILL: nothing of the node needs to outlive the test, and a clean stop is not what
        /// is tested here.
        deinit { process.stop() }
    }

    @Test func hotfixShReloadsAServiceInPlaceAndFailsWithTheReason() throws {
        let node = try Node()
        _ = try node.console("call .business1 lua process alice")
        try node.install("v2")
        var run = try node.script("hotfix.sh", "node1", "reload", "business_service")
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(
            run.stdout.hasPrefix(
                "连接到节点 node1 (端口 \(node.port))...\n重新加载服务: business_service\n1\t2\n2\tOK: reload_service business_service: reloadall business_service: 2 services, 2 reloaded, 0 failed; :0000000b ok: reloaded :0000000b: patch #1; "
            ), "\(run.stdout)")
        #expect(run.stdout.hasSuffix("<CMD OK>\n更新完成\n"))
        #expect(try node.console("call .business1 lua process alice").hasPrefix("1\tv2\n2\talice\n"))

        try node.install("v3_syntax")
        run = try node.script("hotfix.sh", "node1", "reload", ".business1")
        #expect(run.status == 1)
        #expect(run.stderr.hasPrefix("更新失败: reload_service .business1: "), "\(run.stderr)")
        #expect(run.stderr.contains("unexpected symbol near 'end'"))
        #expect(try node.console("call .business1 lua process alice").hasPrefix("1\tv2\n2\talice\n"))
    }

    @Test func hotfixShUpdatesARunningNodeAndFailsWithTheReason() throws {
        let node = try Node()

        var run = try node.script("hotfix.sh", "node1", "module", "business_logic")
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.hasPrefix("连接到节点 node1 (端口 \(node.port))...\n更新模块: business_logic\n1\t:00000004:"))
        #expect(
            run.stdout.contains(
                "\n2\tOK: update_module business_logic: reloaded in 2 of 7 services; 5 without a _reload_module handler\nn\t2\n<CMD OK>\n更新完成\n"
            ))

        _ = try node.console("call .business1 lua process alice")
        try node.install("v2")
        run = try node.script("hotfix.sh", "node1", "service", "business_service")
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(
            run.stdout == """
                连接到节点 node1 (端口 \(node.port))...
                更新服务: business_service
                1\t2
                2\tOK: update_service business_service: 2 of 2 updated
                n\t2
                <CMD OK>
                更新完成

                """)
        #expect(try node.console("call .business1 lua process alice") == "1\tv2\n2\talice\n3\t2\n4\t1\nn\t4\n<CMD OK>\n")

        // A syntax error: the console answers, the report says FAILED, the script exits 1 with it.
        try node.install("v3_syntax")
        run = try node.script("hotfix.sh", "node1", "module", "business_logic")
        #expect(run.status == 1)
        #expect(!run.stdout.contains("更新完成"))
        #expect(
            run.stderr.hasPrefix(
                "更新失败: update_module business_logic: reloaded in 0 of 7 services; failed in 2: :0000000b :0000000c: reload failed: error loading module 'business_logic'"
            ))
        #expect(run.stderr.contains("unexpected symbol near 'end'"))
        #expect(try node.console("call .business2 lua process bob").hasPrefix("1\tv2\n2\tbob\n3\t1\n"))

        run = try node.script("hotfix.sh", "node1", "service", "business_service")
        #expect(
            run.status == 1
                && run.stderr.hasPrefix("更新失败: update_service business_service: 0 of 2 updated; :0000000b :0000000c: _hotfix failed:"))
        try node.install("v2")

        // Scripts run inside the updater, relative to the node's folder.
        run = try node.script("hotfix.sh", "node1", "script", "scripts/report.lua")
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(
            run.stdout.contains(
                "执行脚本: scripts/report.lua\n1\ttrue\n2\t.business1 v2 probe=1, .business2 v2 probe=1\nn\t2\n<CMD OK>\n更新完成\n"))
        run = try node.script("hotfix.sh", "node1", "script", "scripts/nope.lua")
        #expect(run.status == 1 && run.stderr == "更新失败: 无法打开脚本文件: scripts/nope.lua\n", "\(run.stderr)")

        // <CMD Error> (no config_mgr on this node): the console's reason.
        run = try node.script("hotfix.sh", "node1", "config", "game_values")
        #expect(run.status == 1)
        #expect(run.stdout.contains("更新配置: game_values\nUnknown address .config_mgr (no service has this name)\n<CMD Error>\n"))
        #expect(run.stderr == "更新失败: Unknown address .config_mgr (no service has this name)\n")

        run = try node.script("hotfix.sh", "node1", "service", "nosuch")
        #expect(run.status == 1 && run.stderr == "更新失败: update_service nosuch: no running service is named nosuch\n")
        run = try node.script("hotfix.sh", "node1", "bogus", "x")
        #expect(run.status == 1 && run.stdout.hasSuffix("未知更新类型: bogus\n"))
        run = try node.script("hotfix.sh", "node1")
        #expect(run.status == 1 && run.stdout.hasPrefix("Usage: "))
        run = try node.script("hotfix.sh", "node9", "module", "x")
        #expect(run.status == 2 && run.stderr.contains("config.node9"))

        // A node that is not running.
        let listener = try ConsoleClient.closedPort()
        try node.folder.write("config.node2", "console = \"127.0.0.1:\(listener)\"\n")
        run = try node.script("hotfix.sh", "node2", "module", "business_logic")
        #expect(run.status == 2 && run.stderr.contains("无法连接到 127.0.0.1:\(listener)"), "\(run.stderr)")
    }

    /// The hot-update walkthrough's procedure: back up, update, find the update broken, roll back; the service
    /// serves the old behaviour with the state it had.
    @Test func backupUpdateDetectAndRollBack() throws {
        let node = try Node()
        for _ in 1...3 { _ = try node.console("call .business1 lua process alice") }

        // 1. 准备: back up.
        var run = try node.script("backup.sh", "node1")
        #expect(run.status == 0, "\(run.stderr)")
        let backup = try #require(run.stdout.split(separator: "\n").last.map(String.init))
        #expect(backup.hasPrefix("backups/node1-"))
        #expect(run.stdout.hasPrefix("备份完成: lualib service config.node1 -> \(backup)\n"))
        let saved = node.folder.path + "/" + backup
        #expect(FileManager.default.fileExists(atPath: saved + "/lualib/business_logic.lua"))
        #expect(FileManager.default.fileExists(atPath: saved + "/service/business_service.lua"))

        // 2. 执行: a version that loads but is broken.
        try node.install("v3_broken")
        try node.folder.write("lualib/added_by_update.lua", "return {}")
        run = try node.script("hotfix.sh", "node1", "service", "business_service")
        #expect(run.status == 0, "the update itself succeeds: \(run.stdout)\(run.stderr)")

        // 3. 验证: every request now fails.
        #expect(
            try node.console("call .business1 lua process alice")
                == "call :0000000b failed (the service raised an error, or it exited)\n<CMD Error>\n")
        try node.waitForOutput("attempt to index a nil value (global 'counter')")

        // 4. 回滚.
        run = try node.script("rollback.sh", "node1")
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.hasPrefix("回滚节点 node1 到 \(backup)\n"))
        #expect(
            run.stdout.contains(
                "已删除 (added by the update): lualib/added_by_update.lua\n已恢复: lualib/business_logic.lua\n--- 重新加载: module business_logic\n"))
        #expect(run.stdout.contains("2\tOK: update_module business_logic: reloaded in 2 of 7 services"))
        #expect(run.stdout.hasSuffix("回滚完成: node1 runs the code of \(backup)\n"))
        #expect(!FileManager.default.fileExists(atPath: node.folder.path + "/lualib/added_by_update.lua"))
        let restored = try String(contentsOfFile: node.folder.path + "/lualib/business_logic.lua", encoding: .utf8)
        #expect(restored == (try HotUpdateTests.example("lualib/business_logic.lua")))
        // The old behaviour, with the state (3 requests before; the broken ones counted nothing).
        #expect(try node.console("call .business1 lua process alice") == "1\tv1\n2\talice\n3\t4\nn\t3\n<CMD OK>\n")

        run = try node.script("rollback.sh", "node1", backup)
        #expect(run.status == 0 && run.stdout.contains("没有需要回滚的文件"))

        // An update that fails to load: hotfix.sh says so; rolling back restores the files.
        run = try node.script("backup.sh", "node1")
        let second = try #require(run.stdout.split(separator: "\n").last.map(String.init))
        #expect(second != backup)
        try node.install("v3_syntax")
        run = try node.script("hotfix.sh", "node1", "module", "business_logic")
        #expect(run.status == 1)
        run = try node.script("rollback.sh", "node1")
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.hasPrefix("回滚节点 node1 到 \(second)\n"))
        #expect(try node.console("call .business1 lua process alice") == "1\tv1\n2\talice\n3\t5\nn\t3\n<CMD OK>\n")

        run = try node.script("rollback.sh", "node1", "backups/nothing-here")
        #expect(run.status == 2)
    }
}

extension ConsoleClient {
    /// A local TCP port that nothing listens on (bound, then closed).
    static func closedPort() throws -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0
            }
        }
        guard ok else { throw Failure(description: "bind failed: \(errno)") }
        return UInt16(bigEndian: addr.sin_port)
    }
}
