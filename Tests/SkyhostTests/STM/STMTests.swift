import Testing

/// skynet.stm on a real node: readers in other services see the writer's versions whole and in
/// order, and nothing once the writer has let the object go.
@Suite struct STMTests {
    @Test func readersSeeEveryVersionWholeAndInOrder() throws {
        let node = try TestNode(["main.lua": luaSource("main.lua"), "reader.lua": luaSource("reader.lua")])
        _ = try node.output.waitForPrint(timeout: 30) { $0 == "written" }
        let reports = node.output.stdout.filter { $0.hasPrefix("reader: ") }
        #expect(reports.count == 10)
        for report in reports {
            #expect(report == "reader: some versions read, increasing, none torn; after the writer: false", "\(report)")
        }
    }
}
