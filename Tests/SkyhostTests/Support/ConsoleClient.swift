import Foundation
import Glibc

/// A blocking TCP client for the debug console (and other line services), as `nc` would use it.
/// Every read gives up after 10 seconds, so a console that stops answering fails the test.
enum ConsoleClient {
    struct Failure: Error, CustomStringConvertible { let description: String }

    /// The values a `call` answer lists ("1\tv2\n2\t12\nn\t2\n<CMD OK>" -> ["v2", "12"]).
    static func values(_ answer: String) -> [String] {
        answer.split(separator: "\n").compactMap { line in
            let parts = line.split(separator: "\t", maxSplits: 1)
            return parts.count == 2 && Int(parts[0]) != nil ? String(parts[1]) : nil
        }
    }

    static func connect(_ port: UInt16) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket failed") }
        var tv = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else {
            close(fd)
            throw Failure(description: "connect failed: \(errno)")
        }
        return fd
    }

    static func write(_ fd: Int32, _ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n <= 0 { return }
            offset += n
        }
    }

    /// Reads until the peer closes, or until the output has `until` complete "<CMD ...>" lines.
    static func read(_ fd: Int32, until answers: Int? = nil) -> String {
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            if let answers {
                let text = String(decoding: data, as: UTF8.self)
                let done = text.components(separatedBy: "\n").filter { $0 == "<CMD OK>" || $0 == "<CMD Error>" }.count
                if done >= answers { return text }
            }
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { return String(decoding: data, as: UTF8.self) }
            data.append(contentsOf: buffer[0..<n])
        }
    }

    /// Sends each line, then reads until every command has answered.
    static func run(port: UInt16, lines: [String]) throws -> String {
        let fd = try connect(port)
        defer { close(fd) }
        write(fd, Array((lines.joined(separator: "\n") + "\n").utf8))
        return read(fd, until: lines.count)
    }

    /// Sends `text` and reads until the console closes the connection. With `halfClose`, the
    /// client says it has nothing more to send (as `echo 'inject ...' | nc` does), which is how
    /// the console knows to answer and then close.
    static func raw(port: UInt16, _ text: String, halfClose: Bool = false) throws -> String {
        let fd = try connect(port)
        defer { close(fd) }
        write(fd, Array(text.utf8))
        if halfClose { shutdown(fd, Int32(SHUT_WR)) }
        return read(fd)
    }

    /// Sends `bytes` and goes away (with a reset if asked).
    static func abandon(port: UInt16, sending bytes: [UInt8], reset: Bool = false) throws {
        let fd = try connect(port)
        write(fd, bytes)
        if reset {
            var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
            setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        }
        close(fd)
    }

    static func abandon(port: UInt16, sending text: String, reset: Bool = false) throws {
        try abandon(port: port, sending: Array(text.utf8), reset: reset)
    }
}

/// One console connection kept open across commands, so that a test can check the node between
/// two commands: `run` sends a line and returns its answer.
final class ConsoleSession {
    let fd: Int32
    /// The first line the console sent.
    private(set) var greeting = ""
    private var pending: [UInt8] = []

    init(port: UInt16) throws {
        fd = try ConsoleClient.connect(port)
        greeting = try readLine()
    }

    deinit { close(fd) }

    /// The next line the console sends, without its "\n".
    func readLine() throws -> String {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            if let nl = pending.firstIndex(of: 10) {
                let line = String(decoding: pending[..<nl], as: UTF8.self)
                pending.removeSubrange(...nl)
                return line
            }
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n <= 0 {
                throw ConsoleClient.Failure(
                    description: "the console closed or went quiet; unfinished: "
                        + String(decoding: pending, as: UTF8.self))
            }
            pending.append(contentsOf: buffer[0..<n])
        }
    }

    /// The answer to one command: its output lines and the final `<CMD OK>` / `<CMD Error>`,
    /// joined by "\n".
    func answer() throws -> String {
        var lines: [String] = []
        while true {
            let line = try readLine()
            lines.append(line)
            if line == "<CMD OK>" || line == "<CMD Error>" { return lines.joined(separator: "\n") }
        }
    }

    /// The answers to `lines`, sent one after the other.
    func answers(_ lines: [String]) throws -> [String] {
        try lines.map { try run($0) }
    }

    /// Sends `line` and a newline; returns the answer.
    func run(_ line: String) throws -> String {
        try run(bytes: Array((line + "\n").utf8))
    }

    /// Sends raw bytes (which should end with a newline) and returns the answer.
    func run(bytes: [UInt8]) throws -> String {
        ConsoleClient.write(fd, bytes)
        return try answer()
    }
}
