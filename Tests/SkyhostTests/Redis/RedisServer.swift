import Foundation
import Glibc

/// A `redis-server` of one test (Debian's, installed by scripts/install-deps.sh): on a free
/// loopback port, no persistence, in a temporary directory. It is stopped when the object goes
/// away, and at the latest a second after the test process ends.
final class RedisServer: @unchecked Sendable {
    struct Failure: Error, CustomStringConvertible { let description: String }

    let port: UInt16
    private let directory: String
    private var process: Process?

    /// Whether the server runs in cluster mode (see `RedisCluster`).
    let clusterEnabled: Bool

    init(cluster: Bool = false) throws {
        clusterEnabled = cluster
        port = try freeLoopbackPort()
        directory = NSTemporaryDirectory() + "skyhost-redis-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try start()
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Starts the server (again after `stop`, on the same port, empty) and waits until it
    /// answers PING. A shell watches it and kills it when the test process is gone, even if
    /// that process died without cleaning up.
    func start() throws {
        let watchdog = """
            /usr/bin/redis-server "$@" & server=$!
            echo $server > \(directory)/redis.pid
            while kill -0 \(getpid()) 2>/dev/null && kill -0 $server 2>/dev/null; do sleep 0.2; done
            kill -9 $server 2>/dev/null; wait $server
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments =
            [
                "-c", watchdog, "redis-server",
                "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                "--dir", directory, "--daemonize", "no", "--logfile", directory + "/redis.log",
            ] + (clusterEnabled ? try clusterArguments() : [])
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if (try? command("PING")) == "+PONG\r\n" { return }
            guard process.isRunning else { break }
            usleep(20_000)
        }
        let log = (try? String(contentsOfFile: directory + "/redis.log", encoding: .utf8)) ?? ""
        stop()
        throw Failure(description: "redis-server (scripts/install-deps.sh installs it) did not answer on port \(port):\n\(log)")
    }

    /// Cluster mode, its bus on a port of its own (by default it is the port + 10000, which a
    /// free port often leaves beyond 65535).
    private func clusterArguments() throws -> [String] {
        [
            "--cluster-enabled", "yes", "--cluster-config-file", directory + "/nodes.conf",
            "--cluster-port", String(try freeLoopbackPort()),
        ]
    }

    /// Stops the server at once (SIGKILL, as a crash would) and waits for it and its watchdog
    /// to end.
    func stop() {
        guard let process else { return }
        self.process = nil
        if let text = try? String(contentsOfFile: directory + "/redis.pid", encoding: .utf8),
            let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 0
        {
            kill(pid, SIGKILL)
        }
        process.waitUntilExit()
    }

    /// Sends one inline command and returns the raw reply (one read).
    @discardableResult
    func command(_ line: String) throws -> String {
        let fd = try ConsoleClient.connect(port)
        defer { close(fd) }
        ConsoleClient.write(fd, Array((line + "\r\n").utf8))
        var buffer = [UInt8](repeating: 0, count: 65536)
        let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        return n > 0 ? String(decoding: buffer[0..<n], as: UTF8.self) : ""
    }
}

/// Three `RedisServer`s in cluster mode, their 16384 slots shared out by `redis-cli --cluster
/// create` (masters only).
final class RedisCluster: @unchecked Sendable {
    let servers: [RedisServer]

    init() throws {
        servers = try (0..<3).map { _ in try RedisServer(cluster: true) }
        let create = try MariaDB.shell(
            ["redis-cli", "--cluster", "create"] + servers.map { "127.0.0.1:\($0.port)" } + ["--cluster-yes"])
        guard create.status == 0 else {
            throw RedisServer.Failure(description: "redis-cli --cluster create failed:\n\(create.output)")
        }
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            let ready = try servers.allSatisfy { try $0.command("CLUSTER INFO").contains("cluster_state:ok") }
            if ready { return }
            usleep(50_000)
        }
        throw RedisServer.Failure(description: "the cluster did not become ready")
    }
}
