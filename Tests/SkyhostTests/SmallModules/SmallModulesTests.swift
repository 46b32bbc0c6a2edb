import Testing

/// Skynet's small library modules on real nodes: harbor names, and the deprecated mqueue.
@Suite struct SmallModulesTests {
    @Test func harborNamesAnswerWhoeverAskedBeforeTheyWereGiven() throws {
        let node = try TestNode(["main.lua": luaSource("harborMain.lua"), "queueServer.lua": luaSource("queueServer.lua")])
        _ = try node.output.waitForPrint { $0 == "done" }
        #expect(node.output.stdout.filter { $0 != "done" } == ["me\ttrue", "local\ttrue", "late\ttrue"])
    }

    @Test func mqueueServesOneMessageAtATimeInOrder() throws {
        let node = try TestNode(["main.lua": luaSource("queueMain.lua"), "queueServer.lua": luaSource("queueServer.lua")])
        _ = try node.output.waitForPrint { $0 == "done" }
        #expect(node.output.stdout.contains("answers\t1 2 3 4 5"))
        #expect(node.output.stdout.contains { $0.hasPrefix("fail\tfalse\t") && $0.contains("refused 9") })
        #expect(node.output.lines(from: "queueServer").contains("note 7"))
        #expect(!node.output.log.contains { $0.contains("two messages at once") })
    }
}
