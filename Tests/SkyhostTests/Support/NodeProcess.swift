import Foundation
import Glibc
import Testing

/// A `skyhost` process started by a test, its standard output and error captured line by line.
final class NodeProcess: @unchecked Sendable {
    private let process = Process()
    private let input = Pipe()
    private let lock = NSCondition()
    private var collected: [String] = []
    private var partial = Data()

    /// Starts `skyhost` with `arguments` in `directory`. Its standard input is a pipe that
    /// `type` writes to, unless `standardInput` is given.
    init(_ arguments: [String], in directory: String, environment: [String: String] = [:], standardInput: FileHandle? = nil) throws {
        process.executableURL = URL(fileURLWithPath: CommandLineTests.binary)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        process.environment = env
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = standardInput ?? input
        pipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
            self?.take(handle.availableData)
        }
        try process.run()
    }

    /// Writes `text` to the process's standard input.
    func type(_ text: String) {
        input.fileHandleForWriting.write(Data(text.utf8))
    }

    private func take(_ data: Data) {
        lock.lock()
        defer { lock.unlock() }
        if data.isEmpty {
            if !partial.isEmpty { collected.append(String(decoding: partial, as: UTF8.self)) }
            partial = Data()
            collected.append("<EOF>")
        } else {
            partial.append(data)
            while let nl = partial.firstIndex(of: 10) {
                collected.append(String(decoding: partial[partial.startIndex..<nl], as: UTF8.self))
                partial = Data(partial[(nl + 1)...])
            }
        }
        lock.broadcast()
    }

    /// Every line so far.
    var lines: [String] {
        lock.lock()
        defer { lock.unlock() }
        return collected
    }

    /// Waits for a line after line `after` (an index) that satisfies `predicate`.
    func waitFor(
        _ what: String, after: Int = -1, timeout: Double = 10,
        where predicate: (String) -> Bool
    ) throws -> (index: Int, line: String) {
        let deadline = Date().addingTimeInterval(timeout)
        lock.lock()
        defer { lock.unlock() }
        var next = after + 1
        while true {
            while next < collected.count {
                if predicate(collected[next]) { return (next, collected[next]) }
                next += 1
            }
            if collected.last == "<EOF>" || !lock.wait(until: deadline) {
                throw TestTimeout(what: what, log: collected, stdout: [])
            }
        }
    }

    /// The port of the node's debug console, from its "Start debug console at 127.0.0.1:PORT" line.
    func consolePort(timeout: Double = 20) throws -> UInt16 {
        let line = try waitFor("the console's port", timeout: timeout) {
            $0.contains("Start debug console at 127.0.0.1:")
        }.line
        return try #require(line.split(separator: ":").last.flatMap { UInt16($0) }, "\(line)")
    }

    /// Sends `signal` to the process.
    func send(_ signal: Int32) { kill(process.processIdentifier, signal) }

    /// The exit status, once the process has ended (waits for it).
    var terminationStatus: Int32 {
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Stops the process and waits for it. SIGKILL, to the one process this object started:
    /// a child of the test runner inherits a signal mask that blocks SIGTERM.
    func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// Runs `skyhost arguments` in `directory` to its end; returns its status and output.
    static func run(
        _ arguments: [String], in directory: String, environment: [String: String] = [:],
        timeout: Double = 30
    ) throws -> (status: Int32, output: String) {
        let p = try NodeProcess(arguments, in: directory, environment: environment)
        _ = try? p.waitFor("the end of the output", timeout: timeout) { $0 == "<EOF>" }
        p.stop()
        return (p.terminationStatus, p.lines.filter { $0 != "<EOF>" }.joined(separator: "\n"))
    }
}
