import Foundation
import SkyhostMySQL
import Synchronization

@testable import Skyhost

/// Everything a node printed and logged, with a way to wait for a line.
final class CapturedOutput: @unchecked Sendable {
    private let lock = NSCondition()
    private var logLines: [String] = []
    private var printed: [String] = []

    var nodeOutput: NodeOutput {
        NodeOutput(
            log: { [self] line in append(line, to: \.logLines) },
            print: { [self] text in
                for line in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
                    append(String(line), to: \.printed)
                }
            })
    }

    // (A key path, not an inout argument: an inout access to the list would begin before the
    // lock is taken, which ThreadSanitizer rightly reports against a reader holding the lock.)
    private func append(_ line: String, to list: ReferenceWritableKeyPath<CapturedOutput, [String]>) {
        lock.lock()
        self[keyPath: list].append(line)
        lock.broadcast()
        lock.unlock()
    }

    /// Log lines so far.
    var log: [String] {
        lock.lock()
        defer { lock.unlock() }
        return logLines
    }
    /// Printed lines so far.
    var stdout: [String] {
        lock.lock()
        defer { lock.unlock() }
        return printed
    }

    /// Waits until a log line satisfies `predicate`; returns it. Throws after `timeout` seconds.
    @discardableResult
    func waitForLog(timeout: Double = 10, _ what: String = "", where predicate: (String) -> Bool) throws -> String {
        try waitFor(timeout: timeout, what, in: \.logLines, predicate)
    }

    /// Waits until a log line contains `text`.
    @discardableResult
    func waitForLog(containing text: String, timeout: Double = 10) throws -> String {
        try waitForLog(timeout: timeout, text) { $0.contains(text) }
    }

    /// Waits until a printed line satisfies `predicate`.
    @discardableResult
    func waitForPrint(timeout: Double = 10, _ what: String = "", where predicate: (String) -> Bool) throws -> String {
        try waitFor(timeout: timeout, what, in: \.printed, predicate)
    }

    /// `waitForLog(containing:)` for async tests: the blocking wait runs on a thread of its own.
    @discardableResult
    func waitForLogAsync(containing text: String, timeout: Double = 10) async throws -> String {
        let result: Result<String, Error> = await withCheckedContinuation { continuation in
            Thread.detachNewThread { [self] in
                continuation.resume(returning: Result { try waitForLog(containing: text, timeout: timeout) })
            }
        }
        return try result.get()
    }

    /// The log lines of the service launched as `snlua NAME ...` (the first such service), without
    /// their `[:xxxxxxxx] ` prefix: tests name the services they observe rather than their handles.
    func lines(from service: String) -> [String] {
        let log = self.log
        guard let prefix = Self.prefix(of: service, in: log) else { return [] }
        return log.filter { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }
    }

    /// Waits until service `service` (launched as `snlua NAME ...`) logs a line containing `text`;
    /// returns the line without its `[:xxxxxxxx] ` prefix.
    @discardableResult
    func waitForLine(from service: String, containing text: String, timeout: Double = 10) throws -> String {
        var found = ""
        try waitForLog(timeout: timeout, "a line of \(service) containing '\(text)'") { line in
            guard let prefix = Self.prefix(of: service, in: self.logLines), line.hasPrefix(prefix) else { return false }
            let rest = String(line.dropFirst(prefix.count))
            guard rest.contains(text) else { return false }
            found = rest
            return true
        }
        return found
    }

    /// "[:0000000a] " for the service whose launch line is `[:0000000a] LAUNCH snlua NAME ...`.
    private static func prefix(of service: String, in log: [String]) -> String? {
        guard
            let launch = log.first(where: {
                $0.hasSuffix("] LAUNCH snlua \(service)") || $0.contains("] LAUNCH snlua \(service) ")
            })
        else { return nil }
        return String(launch.prefix { $0 != " " }) + " "
    }

    /// Waits until `count` log lines contain `text`; returns them.
    @discardableResult
    func waitForLogs(containing text: String, count: Int, timeout: Double = 10) throws -> [String] {
        let deadline = Date().addingTimeInterval(timeout)
        lock.lock()
        defer { lock.unlock() }
        while true {
            let found = logLines.filter { $0.contains(text) }
            if found.count >= count { return found }
            if !lock.wait(until: deadline) {
                throw TestTimeout(what: "\(count) log lines containing '\(text)'", log: logLines, stdout: printed)
            }
        }
    }

    private func waitFor(
        timeout: Double, _ what: String, in list: KeyPath<CapturedOutput, [String]>,
        _ predicate: (String) -> Bool
    ) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        lock.lock()
        defer { lock.unlock() }
        var seen = 0
        while true {
            let lines = self[keyPath: list]
            for line in lines[seen...] where predicate(line) { return line }
            seen = lines.count
            if !lock.wait(until: deadline) {
                throw TestTimeout(what: what, log: logLines, stdout: printed)
            }
        }
    }
}

struct TestTimeout: Error, CustomStringConvertible {
    let what: String
    let log: [String]
    let stdout: [String]
    var description: String {
        "timed out waiting for \(what)\n--- log ---\n" + log.joined(separator: "\n")
            + "\n--- stdout ---\n" + stdout.joined(separator: "\n")
    }
}

/// A folder of Lua services written by a test, removed when the test ends.
final class ServiceFolder: @unchecked Sendable {
    let path: String

    init(_ files: [String: String]) throws {
        path = NSTemporaryDirectory() + "skyhost-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        for (name, source) in files { try write(name, source) }
    }

    func write(_ name: String, _ source: String) throws {
        let file = path + "/" + name
        try FileManager.default.createDirectory(
            atPath: (file as NSString).deletingLastPathComponent,
            withIntermediateDirectories: true)
        try source.write(toFile: file, atomically: true, encoding: .utf8)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// A running node over a `ServiceFolder`, with its output captured.
final class TestNode: @unchecked Sendable {
    let folder: ServiceFolder
    let output = CapturedOutput()
    let node: Node

    /// Starts a node whose start service is `start` (default `main`) from `files`.
    init(
        _ files: [String: String], start: String = "main", threads: Int = 2,
        environment: [String: String] = [:]
    ) throws {
        folder = try ServiceFolder(files)
        var env = environment
        env["start"] = start
        env["thread"] = String(threads)
        env["luaservice"] = folder.path + "/?.lua"
        env["lua_path"] = folder.path + "/?.lua"
        env["snax"] = env["snax"] ?? folder.path + "/?.lua"
        var configuration = NodeConfiguration(environment: env)
        configuration.enableMySQL()
        node = Node(configuration: configuration, output: output.nodeOutput)
        do {
            try node.start()
        } catch {
            throw StartFailure(error: error, log: output.log)
        }
    }

    /// A node that did not start, with what it logged (the reason is usually there).
    struct StartFailure: Error, CustomStringConvertible {
        let error: any Error
        let log: [String]
        var description: String { "\(error)\n" + log.joined(separator: "\n") }
    }

    deinit { node.shutdown() }

    /// Delivers a text message (PTYPE_TEXT) from outside any service.
    func sendText(to handle: UInt32, _ text: String) {
        let (data, size) = Message.payload(copying: Array(text.utf8))
        node.deliver(Message(source: 0, session: 0, type: ProtocolType.text.rawValue, data: data, size: size), to: handle)
    }
}
