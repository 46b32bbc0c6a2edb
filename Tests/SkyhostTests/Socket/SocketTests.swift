import Foundation
import Glibc
import Testing

/// skynet.socket over the node's SwiftNIO sockets (the debug console on top of it: ConsoleTests).
@Suite struct SocketTests {
    /// Reads lines, answers each one; hands sockets over from the listener's owner (abandon +
    /// start in another service, as Skynet's gate/agent pattern).
    static let agent = luaSource("agent.lua")

    static let holder = luaSource("holder.lua")

    @Test func listenConnectReadWriteAndClose() throws {
        let node = try TestNode([
            "agent.lua": Self.agent,
            "holder.lua": Self.holder,
            "main.lua": luaSource("listenConnectReadWriteAndClose/main.lua"),
        ])
        try node.output.waitForLog(containing: "DONE", timeout: 20)
        let failures = node.output.log.filter { $0.contains("FAIL") }
        #expect(failures.isEmpty, "\(failures)")
        #expect(node.output.log.filter { $0.contains("] ok ") }.count == 16)
    }
}
