import Foundation
import Testing

/// Skynet's small library modules on real nodes: harbor names, the deprecated mqueue,
/// skynet.memory, the console service and skynet.injectcode.
@Suite struct SmallModulesTests {
    @Test func harborNamesAnswerWhoeverAskedBeforeTheyWereGiven() throws {
        let node = try TestNode(["main.lua": luaSource("harborMain.lua"), "queueServer.lua": luaSource("queueServer.lua")])
        _ = try node.output.waitForPrint { $0 == "done" }
        #expect(node.output.stdout.filter { $0 != "done" } == ["me\ttrue", "local\ttrue", "late\ttrue"])
    }

    @Test func messagesToAGlobalNameNoServiceHasYetWaitForItInOrder() throws {
        let node = try TestNode(["main.lua": luaSource("laterMain.lua"), "laterServer.lua": luaSource("laterServer.lua")])
        _ = try node.output.waitForPrint { $0 == "done" }
        #expect(node.output.stdout == ["echo\theld call", "notes\t1 2 3 4", "done"])
    }

    @Test func mqueueServesOneMessageAtATimeInOrder() throws {
        let node = try TestNode(["main.lua": luaSource("queueMain.lua"), "queueServer.lua": luaSource("queueServer.lua")])
        _ = try node.output.waitForPrint { $0 == "done" }
        #expect(node.output.stdout.contains("answers\t1 2 3 4 5"))
        #expect(node.output.stdout.contains { $0.hasPrefix("fail\tfalse\t") && $0.contains("refused 9") })
        try node.output.waitForLine(from: "queueServer", containing: "note 7")
        #expect(!node.output.log.contains { $0.contains("two messages at once") })
    }

    @Test func memoryReportsEachServicesLuaHeap() throws {
        let node = try TestNode(["main.lua": luaSource("memoryMain.lua")])
        _ = try node.output.waitForPrint { $0 == "done" }
        #expect(
            node.output.stdout == ["mine\ttrue", "total\ttrue\ttrue", "blocks\ttrue", "grows\ttrue\t10000", "profactive\tfalse", "done"])
        // (the log reaches the test after the prints: the last line first)
        try node.output.waitForLog(containing: "No jemalloc : mallctl_bool prof.active.")
        let log = node.output.log
        #expect(log.contains("[:00000000] dump all service mem:"))
        #expect(log.contains { $0.hasPrefix("[:00000000] :00000008 -> ") && $0.hasSuffix("b") })
        #expect(log.contains { $0.hasPrefix("[:00000000] +total: ") })
        #expect(log.contains("[:00000000] No jemalloc : mallctl_bool prof.active."))
    }

    @Test func theConsoleServiceStartsWhatIsTypedOnStandardInput() throws {
        let folder = try ServiceFolder([
            "config": "thread = 2\nstart = \"console\"\nluaservice = \"./?.lua\"\nsnax = \"./?.lua\"\n",
            "hello.lua": luaSource("hello.lua"),
            "greeter.lua": luaSource("greeter.lua"),
        ])
        let process = try NodeProcess(["config"], in: folder.path)
        defer { process.stop() }
        _ = try process.waitFor("the console") { $0.hasSuffix("LAUNCH snlua console") }
        process.type("hello one two\n\nnothing_here\nsnax greeter Ann\nhello three\n")
        _ = try process.waitFor("hello three") { $0 == "hello\tthree" }
        let lines = process.lines
        #expect(lines.contains("hello\tone\ttwo"))
        #expect(lines.contains { $0.contains("LAUNCH snlua nothing_here") })
        #expect(lines.contains("greeter\tAnn"))
    }

    @Test func aConsoleWhoseStandardInputCannotBePolledFailsAloneAndTheNodeServesOn() throws {
        let folder = try ServiceFolder([
            "config": "thread = 2\nstart = \"main\"\nluaservice = \"./?.lua\"\n",
            "main.lua": luaSource("consoleOnDevNullMain.lua"),
            "hello.lua": luaSource("hello.lua"),
        ])
        // /dev/null is what a node started by a service manager often has as standard input;
        // epoll refuses it.
        let process = try NodeProcess(["config"], in: folder.path, standardInput: FileHandle.nullDevice)
        defer { process.stop() }
        let port = try process.consolePort()
        _ = try process.waitFor("the console's error") {
            $0.contains("console: standard input cannot be read: fd 0 cannot be read as a socket")
        }
        let answer = try ConsoleClient.run(port: port, lines: ["start hello after the console"])
        #expect(answer.contains("<CMD OK>"), "\(answer)")
        _ = try process.waitFor("the service started after it") { $0 == "hello\tafter\tthe\tconsole" }
    }

    @Test func injectcodeRunsSourceInsideARunningOrSuspendedFunction() throws {
        let node = try TestNode(["main.lua": luaSource("injectcodeMain.lua")])
        _ = try node.output.waitForPrint { $0 == "done" }
        let lines = node.output.stdout
        #expect(lines.contains("running\ttrue\t1105\t101\t2\t11"), "\(lines)")
        #expect(lines.contains { $0.hasPrefix("broken\tfalse\t") && $0.contains("unexpected symbol") })
        #expect(lines.contains("raises\tfalse\tinside"))
        #expect(lines.contains("suspended\ttrue\t15"))
        #expect(lines.contains("resumed\t15"))
    }
}
