import Foundation
import Glibc
import Testing

/// Bad input never crashes: the debug console fed random bytes, lines longer than its
/// 64 KiB limit and connections dropped in the middle of a line, many times over, in a
/// reproducible random order. Each connection that stays to the end still gets the right answer
/// to `list`; afterwards the node and the console serve as before. (ConsoleTests has one case of
/// each kind with its exact answer; this is the same input at random and in bulk.)
@Suite struct ConsoleFuzzTests {
    /// The console's answer to `list` on a `ConsoleTests.consoleNode()`.
    static let list = ConsoleTests.walkthroughList

    /// One piece of a connection's input.
    static func chunk(_ r: inout SeededRandom) -> [UInt8] {
        switch r.int(0...9) {
        case 0...4:  // random bytes, newlines among them
            return (0..<r.int(1...2000)).map { _ in r.int(0...19) == 0 ? 10 : r.byte() }
        case 5...6:  // one line over the limit, ended or not
            let line = (0..<r.int(65_537...140_000)).map { _ in UInt8(r.int(32...126)) }
            return r.int(0...1) == 0 ? line + [10] : line
        case 7:  // a command cut short by garbage on the same line
            return Array("call :0a lua foo".utf8.prefix(r.int(1...15))) + (0..<r.int(1...40)).map { _ in r.byte() }
        case 8:  // control bytes and telnet sequences
            return [0, 0xff, 0xf4, 0xff, 0xfd, 0x06, 13, 0x1b, 0x5b, 0x41, 13].shuffled(using: &r) + [10]
        default:  // a good command in between
            return Array("\ncall :0a lua foo\n".utf8)
        }
    }

    @Test func randomBytesLongLinesAndDroppedConnectionsLeaveTheConsoleServing() throws {
        let (node, port) = try ConsoleTests.consoleNode()
        var r = SeededRandom(state: 0xc0_501e)
        let connections = 60
        var stayed = 0
        var bytes = 0
        for c in 0..<connections {
            var input: [UInt8] = []
            for _ in 0..<r.int(1...4) { input += Self.chunk(&r) }
            bytes += input.count
            if r.int(0...2) == 0 {
                // Dropped in the middle of a line: no newline at the end, maybe a reset.
                if input.last == 10 { input.removeLast() }
                try ConsoleClient.abandon(port: port, sending: input, reset: r.int(0...1) == 0)
                continue
            }
            let fd = try ConsoleClient.connect(port)
            // Stays: a last `list`, then "nothing more to send"; the console answers everything
            // and closes.
            ConsoleClient.write(fd, input + Array("\nlist\n".utf8))
            shutdown(fd, Int32(SHUT_WR))
            let answer = ConsoleClient.read(fd)
            close(fd)
            stayed += 1
            #expect(answer.hasPrefix("Welcome to skynet console\n"), "connection \(c)")
            #expect(answer.hasSuffix("\n" + Self.list + "\n"), "connection \(c): \(answer.suffix(300))")
            // A good command in the input was answered as usual.
            let good = Array("\ncall :0a lua foo\n".utf8)
            if input.indices.contains(where: { input[$0...].starts(with: good) }) {
                #expect(answer.contains("\n" + ConsoleTests.fooAnswer + "\n"), "connection \(c)")
            }
        }
        // Every connection was served to its end, and the console still answers.
        _ = try node.output.waitForLogs(containing: "disconnect", count: connections)
        try ConsoleTests.expectServing(port)
        #expect(try ConsoleClient.run(port: port, lines: ["list"]) == "Welcome to skynet console\n" + Self.list + "\n")
        #expect(ConsoleTests.consoleErrors(node).isEmpty, "\(ConsoleTests.consoleErrors(node))")
        #expect(stayed > connections / 3 && stayed < connections)
        print("ConsoleFuzzTests: \(connections) connections, \(bytes) bytes of input, \(connections - stayed) dropped mid-line")
    }
}
