import Foundation
import Testing

@testable import Skyhost

/// Node-level behaviour: several nodes in a process, the log file, shutdown.
@Suite struct NodeTests {
    static let counter = luaSource("counter.lua")

    @Test func severalNodesRunSideBySideWithTheirOwnHandlesAndEnvironment() throws {
        let a = try TestNode(["main.lua": Self.counter], environment: ["which": "A"])
        let b = try TestNode(["main.lua": Self.counter], environment: ["which": "B"])
        try a.output.waitForLog(containing: "node A 500500")
        try b.output.waitForLog(containing: "node B 500500")
        // Each node has its own handle space and its own output.
        #expect(a.output.lines(from: "main").contains("node A 500500"))
        #expect(b.output.lines(from: "main").contains("node B 500500"))
        #expect(!a.output.log.contains { $0.contains("node B") })
    }

    @Test func loggerWritesToTheConfiguredFile() throws {
        let logFile = NSTemporaryDirectory() + "skyhost-log-\(UUID().uuidString).log"
        defer { try? FileManager.default.removeItem(atPath: logFile) }
        let node = try TestNode(["main.lua": luaSource("loggerWritesToTheConfiguredFile/main.lua")], environment: ["logger": logFile])
        _ = node.node.wait()
        let text = try String(contentsOfFile: logFile, encoding: .utf8)
        #expect(text.contains("[:00000008] to the file\n"))
        #expect(node.output.log.isEmpty)
    }

    @Test func shutdownClosesEveryServiceAndIsIdempotent() throws {
        let node = try TestNode(["main.lua": luaSource("shutdownClosesEveryServiceAndIsIdempotent/main.lua")])
        try node.output.waitForLog(containing: "running")
        node.node.shutdown()
        node.node.shutdown()
        #expect(node.node.handles.count == 0)
        #expect(node.node.wait() == 0)
    }

    /// A node that was shut down is freed: an embedding host that starts and stops nodes does not
    /// leak them, and shutdown returns while services are busy. (Found by LeakSanitizer:
    /// the Swift API's endpoint service, and the services still waiting to run when the workers
    /// stopped -- or scheduled after, as by the close of a console connection -- kept their node
    /// alive.)
    @Test func aNodeThatWasShutDownIsFreed() async throws {
        weak var weakNode: Node?
        do {
            // Six services that keep sending themselves messages: some are always waiting to run.
            let (node, port) = try ConsoleTests.consoleNode(
                [
                    "busy.lua": luaSource("aNodeThatWasShutDownIsFreed/busy.lua")
                ], services: Array(repeating: "busy", count: 6))
            weakNode = node.node
            #expect(try await node.node.call(":0000000a", "foo") == ["foo"])  // the Swift API's endpoint
            _ = try node.node.register(name: ".swift_echo") { $0.arguments }  // a service in Swift
            let console = try ConsoleSession(port: port)  // open while the node shuts down
            #expect(try console.run("list").hasSuffix("<CMD OK>"))
            // Shutdown returns although services are busy (it used to wait for ever for a worker
            // running a service that kept sending itself messages).
            let done = DispatchSemaphore(value: 0)
            Thread.detachNewThread { [weak stopping = node.node] in
                stopping?.shutdown()
                done.signal()
            }
            #expect(done.wait(timeout: .now() + 10) == .success, "shutdown did not return")
            withExtendedLifetime(console) {}
        }
        #expect(weakNode == nil)
    }

    @Test func handlesCarryTheHarborId() throws {
        let node = try TestNode(["main.lua": luaSource("handlesCarryTheHarborId/main.lua")], environment: ["harbor": "0"])
        try node.output.waitForLog(containing: "self :00000008")
        #expect(ServiceAddress(0x0200_000a).harbor == 2)
        #expect(ServiceAddress(0x0200_000a).description == ":0200000a")
    }

    @Test func aNodeWithAHarborIdBootsAsSkynetsExampleConfigDoes() throws {
        // Skynet's examples/config: harbor 1, this node the standalone master, a loader and C
        // services in a Skynet tree that is not there.
        let master = "127.0.0.1:\(try freeLoopbackPort())"
        let address = "127.0.0.1:\(try freeLoopbackPort())"
        let node = try TestNode(
            ["main.lua": luaSource("aNodeWithAHarborIdBootsAsSkynetsExampleConfigDoes/main.lua")],
            environment: [
                "harbor": "1", "standalone": master, "master": master, "address": address,
                "lualoader": "./skynet-tree/lualib/loader.lua", "cpath": "./cservice/?.so",
            ])
        _ = try node.output.waitForPrint { $0 == "done" }
        #expect(node.output.stdout == ["self\t:01000009\t1\tfalse", "global\t:01000009", "datacenter\tv", "done"])
        let log = node.output.log
        #expect(
            log.contains(
                "[:00000000] lualoader ./skynet-tree/lualib/loader.lua not found: using Skyhost's \(NodeConfiguration.defaultRoot)/lualib/loader.lua"
            ))
        #expect(log.contains { $0.hasPrefix("[:00000000] cpath ./cservice/?.so ignored") })
        let launches = log.filter { $0.contains("LAUNCH") }.map { $0.split(separator: " ", maxSplits: 1).map(String.init) }
        #expect(
            launches.prefix(8).map { $0[0] + " " + $0[1] } == [
                "[:01000002] LAUNCH snlua bootstrap", "[:01000003] LAUNCH snlua launcher", "[:01000004] LAUNCH snlua cmaster",
                "[:01000005] LAUNCH snlua cslave", "[:01000006] LAUNCH harbor 1 16777221", "[:01000007] LAUNCH snlua datacenterd",
                "[:01000008] LAUNCH snlua service_mgr", "[:01000009] LAUNCH snlua main",
            ])
        #expect(log.contains { $0.hasPrefix("[:01000004] Harbor 1 (fd=") && $0.hasSuffix(") report \(address)") })
        #expect(log.contains("[:01000005] Shakehand ready"))
    }

    @Test func aBusyPairOfServicesDoesNotStarveTheOthers() throws {
        // One worker; main and pong call each other as fast as they can for a second while a
        // third service ticks every 5 cs: the ticks must keep coming.
        let node = try TestNode(
            [
                "pong.lua": luaSource("aBusyPairOfServicesDoesNotStarveTheOthers/pong.lua"),
                "ticker.lua": luaSource("aBusyPairOfServicesDoesNotStarveTheOthers/ticker.lua"),
                "main.lua": luaSource("aBusyPairOfServicesDoesNotStarveTheOthers/main.lua"),
            ], threads: 1)
        let line = try node.output.waitForLog(containing: "ticks during the ping loop")
        #expect(line.contains("loop true"), "\(line)")
    }
}
