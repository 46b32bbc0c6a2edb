import Foundation
import Glibc
import Testing

/// The gate service and Skynet's watchdog pattern, with real TCP clients.
@Suite struct GateTests {
    static func packet(_ text: String) -> [UInt8] { NetpackTests.packet(Array(text.utf8)) }

    /// Sends `text` as a packet and reads the agent's answer.
    static func ask(_ fd: Int32, _ text: String) -> String {
        ConsoleClient.write(fd, packet(text))
        let answer = NetpackTests.read(fd, 2 + "agent:".count + text.utf8.count)
        return String(decoding: answer.dropFirst(2), as: UTF8.self)
    }

    @Test func clientsAreForwardedToTheirAgentsKickedAndCountedAgainstMaxclient() throws {
        let node = try TestNode([
            "main.lua": luaSource("main.lua"), "agent.lua": luaSource("agent.lua"),
        ])
        let portLine = try node.output.waitForLog(containing: "gate port ")
        let port = try #require(UInt16(portLine.split(separator: " ").last ?? ""))

        let clients = try (0..<3).map { _ in try ConsoleClient.connect(port) }
        defer { for fd in clients { close(fd) } }
        for (i, fd) in clients.enumerated() {
            // (the first packet may arrive before the agent took the client: it waits for it)
            #expect(Self.ask(fd, "hello \(i)") == "agent:hello \(i)")
            #expect(Self.ask(fd, String(repeating: "x", count: 30000)) == "agent:" + String(repeating: "x", count: 30000))
        }
        // A fourth client is past maxclient: closed at once.
        let refused = try ConsoleClient.connect(port)
        defer { close(refused) }
        #expect(NetpackTests.read(refused, 1).isEmpty)

        // A kicked client is closed, its agent ends, and its place is free again.
        ConsoleClient.write(clients[0], Self.packet("kick"))
        #expect(NetpackTests.read(clients[0], 1).isEmpty)
        try node.output.waitForLog(containing: "] close ")
        let next = try ConsoleClient.connect(port)
        defer { close(next) }
        #expect(Self.ask(next, "in its place") == "agent:in its place")

        // A client that breaks off in a packet leaves the others served.
        try ConsoleClient.abandon(port: port, sending: [0x7f, 0x00, 0x41])
        #expect(Self.ask(clients[1], "still here") == "agent:still here")
        #expect(node.output.log.filter { $0.contains("] open ") }.allSatisfy { $0.hasSuffix(" true") })
    }
}
