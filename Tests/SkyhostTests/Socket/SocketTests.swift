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

    @Test func datagramsReachTheirServiceAndAnswersReachTheirSender() throws {
        let node = try TestNode(["main.lua": luaSource("datagrams/main.lua")])
        _ = try node.output.waitForPrint(timeout: 20) { $0 == "done" }
        let lines = node.output.stdout
        #expect(lines.contains("v4\t100\ttrue\ttrue\t127.0.0.1\ttrue"), "\(lines)")
        #expect(lines.contains { $0.hasPrefix("v6\tv6 ping\t::1\t") })
        #expect(lines.contains("sendto\tfalse"))
        #expect(lines.contains { $0.hasPrefix("address\tfalse\t") && $0.hasSuffix("Invalid udp address") })
        #expect(
            lines.contains { $0.hasPrefix("connect\tfalse\t") && $0.contains("udp connect failed: cannot resolve no.such.host.invalid") })
        #expect(lines.contains { $0.hasPrefix("bind\tfalse\t") && $0.contains("udp init failed") })
        #expect(lines.contains("resolve\ttrue"))
        #expect(lines.contains { $0.hasPrefix("unknown\tfalse\t") })
        #expect(lines.contains("closed\tfalse"))
    }

    @Test func theResolverAsksItsServerCachesAnswersAndRejectsMalformedOnes() throws {
        let folder = try ServiceFolder(["hosts": "# the test's hosts file\n10.9.9.9  lobby.test lobby\n"])
        let node = try TestNode(
            ["main.lua": luaSource("dns/main.lua"), "dnsServer.lua": luaSource("dns/dnsServer.lua")],
            environment: ["hosts_file": folder.path + "/hosts"])
        _ = try node.output.waitForPrint(timeout: 20) { $0 == "done" }
        let lines = node.output.stdout
        #expect(lines.contains("a\t10.0.0.1\t10.0.0.1 10.0.0.2"), "\(lines)")
        #expect(lines.contains("cached\t10.0.0.1\t1"))
        #expect(lines.contains { $0.hasPrefix("aaaa\t2001:db8:0:0:0:0:0:1\ttable: ") })
        #expect(lines.contains { $0.hasPrefix("hosts\t10.9.9.9\ttable: ") })
        #expect(lines.contains("literal\t10.1.2.3"))
        #expect(lines.contains("illegal\tnil\tillegal name"))
        #expect(lines.contains { $0.hasPrefix("missing\tfalse\t") && $0.hasSuffix("timeout or no answer") })
        #expect(lines.contains { $0.hasPrefix("garbage\tfalse\t") && $0.hasSuffix("malformed DNS answer: answer with 65535 questions") })
        #expect(lines.contains { $0.hasPrefix("loop\tfalse\t") && $0.contains("malformed DNS answer: name compression loops") })
        #expect(lines.contains { $0.hasPrefix("after\t10.0.0.1\ttable: ") })
    }
}
