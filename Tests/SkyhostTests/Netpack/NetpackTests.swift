import Foundation
import Glibc
import Testing

/// skynet.netpack framing real TCP clients' streams, in an echo server built as gateserver is.
@Suite struct NetpackTests {
    /// `bytes` framed as one packet.
    static func packet(_ bytes: [UInt8]) -> [UInt8] { [UInt8(bytes.count >> 8), UInt8(bytes.count & 0xff)] + bytes }

    /// Reads `count` bytes (or fewer if the connection ends).
    static func read(_ fd: Int32, _ count: Int) -> [UInt8] {
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while out.count < count {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, min($0.count, count - out.count)) }
            if n <= 0 { break }
            out += buffer[0..<n]
        }
        return out
    }

    @Test func packetsSplitJoinedAndBrokenOffAreFramedAndTheServerServesOn() throws {
        let node = try TestNode(["main.lua": luaSource("main.lua")])
        let portLine = try node.output.waitForLog(containing: "] port ")  // (the listener's; "port 0" lines follow)
        let port = try #require(UInt16(portLine.split(separator: " ").last ?? ""))
        let printed = node.output.stdout
        #expect(printed.contains("pack\t5\ttrue"), "\(printed)")
        #expect(printed.contains { $0.hasPrefix("toolong\tfalse\t") && $0.hasSuffix("Invalid size (too long) of data : 65536") })
        #expect(printed.contains("pop"))
        #expect(printed.contains { $0.hasPrefix("notsocket\tfalse\t") && $0.contains("not a socket message") })

        // One client: a packet a byte at a time, then three packets in one write, then the
        // largest packet.
        let client = try ConsoleClient.connect(port)
        defer { close(client) }
        for byte in Self.packet(Array("slow".utf8)) { ConsoleClient.write(client, [byte]) }
        #expect(Self.read(client, 11) == Self.packet(Array("echo:slow".utf8)))
        let three = Self.packet(Array("a".utf8)) + Self.packet([]) + Self.packet(Array("ccc".utf8))
        ConsoleClient.write(client, three)
        let echoed = Self.packet(Array("echo:a".utf8)) + Self.packet(Array("echo:".utf8)) + Self.packet(Array("echo:ccc".utf8))
        #expect(Self.read(client, echoed.count) == echoed)
        let big = (0..<65530).map { UInt8(truncatingIfNeeded: $0 * 7) }
        ConsoleClient.write(client, Self.packet(big))
        #expect(Self.read(client, 65537) == Self.packet(Array("echo:".utf8) + big))

        // Clients that break off: a length prefix bigger than what follows, 1 MB of random
        // bytes, a connection reset in the middle of a packet.
        try ConsoleClient.abandon(port: port, sending: [0x10, 0x00] + Array("short".utf8))
        var random = SeededRandom(state: 17)
        try ConsoleClient.abandon(port: port, sending: (0..<1_048_576).map { _ in UInt8.random(in: 0...255, using: &random) })
        try ConsoleClient.abandon(port: port, sending: [0x00, 0x09, 0x41], reset: true)
        // Each ends as a close, or as an error when the echo meets the reset connection.
        var ended = 0
        try node.output.waitForLog(timeout: 20, "the three connections' ends") { line in
            if line.contains("] close ") || line.contains("] error ") { ended += 1 }
            return ended == 3
        }

        // The first client is still served.
        ConsoleClient.write(client, Self.packet(Array("after".utf8)))
        #expect(Self.read(client, 12) == Self.packet(Array("echo:after".utf8)))
    }
}
