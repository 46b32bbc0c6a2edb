import Foundation
import Testing

/// snax.msgserver on the gate: the handshake with the login secret, requests and the responses a
/// reconnecting client gets again, handshakes that are refused.
@Suite struct MsgServerTests {
    @Test func requestsAreAnsweredOnceAndRefusedHandshakesSayWhy() throws {
        let node = try TestNode(
            ["main.lua": luaSource("main.lua"), "gated.lua": luaSource("gated.lua")],
            environment: ["msg_port": String(try freeLoopbackPort())])
        _ = try node.output.waitForPrint(timeout: 20) { $0 == "done" }
        let lines = node.output.stdout
        #expect(lines.contains("handshake\t200 OK"), "\(lines)")
        #expect(lines.contains("request\trun 1:hello\t1\t1"))
        #expect(lines.contains("failing\t\t0\t2"))
        #expect(lines.contains("reconnect\t200 OK"))
        #expect(lines.contains("again\trun 1:hello\t1\t1"))
        #expect(lines.contains("new\trun 2:world\t1\t3"))
        #expect(lines.contains("expired\t403 Index Expired"))
        #expect(lines.contains("unknown\t404 User Not Found"))
        #expect(lines.contains("hmac\t401 Unauthorized"))
        #expect(lines.contains("garbage\t404 User Not Found"))
        #expect(lines.contains("badindex\t400 Bad Request"))
        #expect(node.output.log.contains { $0.contains("the request failed") })
    }
}
