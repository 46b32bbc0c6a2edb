import Foundation
import Testing

/// snax.loginserver: the DH handshake and the DES token over real sockets, and clients that lie.
@Suite struct LoginTests {
    @Test func theHandshakeLogsUsersInAndRefusesTheOnesThatLie() throws {
        let node = try TestNode(
            ["main.lua": luaSource("main.lua"), "logind.lua": luaSource("logind.lua")],
            environment: ["login_port": String(try freeLoopbackPort())])
        _ = try node.output.waitForPrint(timeout: 20) { $0 == "done" }
        let lines = node.output.stdout
        #expect(lines.contains("alice\t200 sample:alice:8"), "\(lines)")
        #expect(lines.contains("wrong\t401 Unauthorized"))
        #expect(lines.contains("forbidden\t403 Forbidden"))
        #expect(lines.contains("hmac\t401 Unauthorized"))
        #expect(lines.contains("badkey\t401 Unauthorized"))
        #expect(lines.contains("again\t200 sample:dave:8"))
        #expect(lines.contains("command\tcommand ping"))
        let log = node.output.log
        #expect(log.contains { $0.contains("invalid client") && $0.contains("challenge failed") })
        #expect(log.contains { $0.contains("invalid client") && $0.contains("Invalid client key") })
        #expect(log.contains { $0.contains("invalid client") && $0.contains("no login for forbidden") })
    }
}
