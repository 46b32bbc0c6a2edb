import Foundation
import Skyhost
import Testing

/// Boot order, newservice / uniqueservice / exit / kill, and failures at start-up.
@Suite struct ServiceLifecycleTests {
    @Test func bootAssignsSkynetsHandles() throws {
        let node = try TestNode([
            "serviceA.lua": luaSource("bootAssignsSkynetsHandles/serviceA.lua"),
            "main.lua": luaSource("bootAssignsSkynetsHandles/main.lua"),
        ])
        try node.output.waitForLog(containing: "] self ")
        let list = try node.output.waitForLog(containing: "] list ")
        #expect(
            list.hasSuffix(
                "list :00000004=snlua cdummy;:00000006=snlua datacenterd;:00000007=snlua service_mgr;:00000008=snlua main;:00000009=snlua serviceA x 42"
            ))
        #expect(node.output.lines(from: "main").contains("serviceA is :00000009"))
        #expect(node.output.lines(from: "main").contains("self :00000008 3"))
        #expect(node.output.log.contains("[:00000009] LAUNCH snlua serviceA x 42"))
    }

    @Test func newserviceReturnsAfterStartAndPassesStringArguments() throws {
        let node = try TestNode([
            "worker.lua": luaSource("newserviceReturnsAfterStartAndPassesStringArguments/worker.lua"),
            "main.lua": luaSource("newserviceReturnsAfterStartAndPassesStringArguments/main.lua"),
        ])
        try node.output.waitForLog(containing: "worker true 2 string 7 worker")
    }

    @Test func uniqueserviceStartsOnceAndQueryserviceFindsIt() throws {
        let node = try TestNode([
            "single.lua": luaSource("uniqueserviceStartsOnceAndQueryserviceFindsIt/single.lua"),
            "main.lua": luaSource("uniqueserviceStartsOnceAndQueryserviceFindsIt/main.lua"),
        ])
        try node.output.waitForLog(containing: "unique true true")
        #expect(node.output.log.filter { $0.contains("single started") }.count == 1)
    }

    @Test func startFunctionErrorMakesNewserviceFailCleanly() throws {
        let node = try TestNode([
            "broken.lua": luaSource("startFunctionErrorMakesNewserviceFailCleanly/broken.lua"),
            "main.lua": luaSource("startFunctionErrorMakesNewserviceFailCleanly/main.lua"),
        ])
        try node.output.waitForLog(containing: "alive true")
        #expect(node.output.lines(from: "main").contains("newservice false"))
        #expect(node.output.lines(from: "main").contains("missing false"))
        #expect(node.output.log.contains { $0.contains("cannot start") })
        #expect(node.output.log.contains { $0.contains("does_not_exist") })
    }

    @Test func exitedServiceIsGoneAndItsPendingCallersFail() throws {
        let node = try TestNode([
            "quitter.lua": luaSource("exitedServiceIsGoneAndItsPendingCallersFail/quitter.lua"),
            "main.lua": luaSource("exitedServiceIsGoneAndItsPendingCallersFail/main.lua"),
        ])
        try node.output.waitForLog(containing: "call after kill false")
        #expect(node.output.lines(from: "main").contains("hung call returned false"))
        #expect(node.output.lines(from: "main").contains("send after exit true"))
    }

    @Test func missingStartServiceStopsTheNodeWithAFailureStatus() throws {
        let folder = try ServiceFolder(["other.lua": "return"])
        let output = CapturedOutput()
        let node = Node(
            configuration: NodeConfiguration(environment: [
                "start": "nothere", "luaservice": folder.path + "/?.lua",
            ]), output: output.nodeOutput)
        #expect(throws: SkyhostError.self) { try node.start() }
        #expect(node.wait() != 0)
        #expect(output.log.contains { $0.contains("nothere") })
    }
}
