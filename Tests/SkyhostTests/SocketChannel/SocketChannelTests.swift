import Foundation
import Testing

/// skynet.socketchannel over real loopback sockets, against a line server written in Lua.
@Suite struct SocketChannelTests {
    @Test func requestsGetTheirRepliesInBothModesAndFailuresReachEveryWaitingRequest() throws {
        let node = try TestNode([
            "main.lua": luaSource("channelMain.lua"),
            "lineServer.lua": luaSource("lineServer.lua"),
        ])
        _ = try node.output.waitForPrint(timeout: 20) { $0 == "done" }
        let lines = node.output.stdout
        #expect(lines.contains("order\t50\t0"), "\(lines)")
        #expect(lines.contains("padding\ta,b,c"))
        #expect(lines.contains("closed\tfalse\t[Error: socket]\ttrue"))
        #expect(lines.contains("again\tback\t2"))
        #expect(lines.contains { $0.hasPrefix("raised\tfalse\t") && $0.hasSuffix("unexpected reply !!!") })
        #expect(lines.contains("recovered\tfine"))
        #expect(lines.contains("auth\tfalse\t[Error: socket]"))
        #expect(lines.contains("session\tv1,v2,v3"))
        #expect(lines.contains("nowhere\tfalse\t[Error: socket]"))
        #expect(lines.contains("backup\tvia backup"))
        let log = node.output.log
        #expect(log.contains { $0.contains("socket: auth failed") && $0.contains("refused") })
        #expect(log.contains { $0.contains("Connect to 127.0.0.1:") && $0.contains("failed") })
        #expect(log.contains { $0.contains("socket: connect to backup host 127.0.0.1") })
    }
}
