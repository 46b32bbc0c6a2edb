import Foundation
import Glibc
import Testing

/// A MariaDB server of the test run's own: scripts/test-mariadb.sh starts it in a temporary data
/// directory (unix socket + loopback port) at the first test that needs it; it is stopped when
/// the test process exits (an exit handler, and the script's watchdog, which also removes the
/// directory, even after a crash). If it cannot start, every test that needs it fails with the
/// script's reason: nothing is skipped.
final class MariaDB: @unchecked Sendable {
    static let script = packageRoot + "/scripts/test-mariadb.sh"

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    let dir: String
    private(set) var socket = ""
    private(set) var port = 0

    private static let shared = Result { try MariaDB() }

    /// The shared server (started on first use).
    static func server() throws -> MariaDB { try shared.get() }

    private init() throws {
        dir = "/tmp/skyhost-mariadb-\(getpid())-\(UUID().uuidString.prefix(8))"
        try start()
        exitDirectory = dir
        atexit {
            // The one mariadbd this run started, by the pid the script recorded.
            guard let dir = exitDirectory,
                let text = try? String(contentsOfFile: dir + "/mysqld.pid", encoding: .utf8),
                let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 0
            else { return }
            kill(pid, SIGTERM)
        }
    }

    /// Runs a command line; returns its status and output (stdout and stderr together).
    @discardableResult
    static func shell(_ arguments: [String], in directory: String? = nil) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// Starts the server (again, on the same data and port after `stop`).
    func start() throws {
        let r = try Self.shell(["bash", Self.script, "start", dir, "--owner", String(getpid())])
        guard r.status == 0 else {
            throw Failure(description: "cannot start the MariaDB server for the tests (scripts/test-mariadb.sh):\n\(r.output)")
        }
        for line in r.output.split(separator: "\n") {
            if line.hasPrefix("MYSQL_SOCKET=") { socket = String(line.dropFirst("MYSQL_SOCKET=".count)) }
            if line.hasPrefix("MYSQL_PORT=") { port = Int(line.dropFirst("MYSQL_PORT=".count)) ?? 0 }
        }
        guard !socket.isEmpty, port > 0 else { throw Failure(description: "test-mariadb.sh printed no settings:\n\(r.output)") }
    }

    func stop() throws {
        let r = try Self.shell(["bash", Self.script, "stop", dir])
        guard r.status == 0 else { throw Failure(description: "cannot stop the MariaDB server: \(r.output)") }
    }

    /// Runs SQL with the mariadb command-line client; returns the rows, tab-separated fields
    /// ("NULL" for NULL).
    @discardableResult
    func sql(_ text: String, database: String? = nil) throws -> [[String]] {
        var args = ["mariadb", "--no-defaults", "--default-character-set=utf8mb4", "-uroot", "--socket=\(socket)", "-N", "-B", "-e", text]
        if let database { args.append(database) }
        let r = try Self.shell(args)
        guard r.status == 0 else { throw Failure(description: "mariadb -e \(text): \(r.output)") }
        return r.output.split(separator: "\n").map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
    }

    /// A new empty database for one test.
    func database() throws -> String {
        let name = "t_" + UUID().uuidString.prefix(12).replacingOccurrences(of: "-", with: "").lowercased()
        try sql("CREATE DATABASE \(name)")
        return name
    }

    /// Node config keys that point a node at `database` on this server.
    func settings(_ database: String, socket useSocket: Bool = true) -> [String: String] {
        var env = ["mysql_database": database, "mysql_user": "root"]
        if useSocket {
            env["mysql_socket"] = socket
        } else {
            env["mysql_host"] = "127.0.0.1"
            env["mysql_port"] = String(port)
        }
        return env
    }
}

nonisolated(unsafe) private var exitDirectory: String?

/// The database service: service/mysql_mgr.lua over the native `skyhost.mysql` driver,
/// the hot-update walkthrough's scripts/migrate_user_v2.lua, and the migration records, against a real MariaDB.
@Suite(.serialized) struct MySQLTests {

    static func repoFile(_ path: String) throws -> String {
        try String(contentsOfFile: packageRoot + "/" + path, encoding: .utf8)
    }

    /// `require "checks"` in the tests' main services: check, q.
    static let checks = luaSource("checks.lua")

    /// Runs a node whose main logs "DONE" at the end; fails the test on any "FAIL" line.
    @discardableResult
    static func run(
        _ files: [String: String], environment: [String: String], threads: Int = 2,
        expectOK: Int, timeout: Double = 30
    ) throws -> TestNode {
        var files = files
        files["checks.lua"] = checks
        let node = try TestNode(files, threads: threads, environment: environment)
        try node.output.waitForLog(containing: "] DONE", timeout: timeout)
        let log = node.output.log
        let failures = log.filter { $0.contains("] FAIL") }
        #expect(failures.isEmpty, "\(log.joined(separator: "\n"))")
        let passed = log.filter { $0.contains("] ok") }.count
        #expect(passed == expectOK, "\(log.joined(separator: "\n"))")
        return node
    }

    /// The hot-update walkthrough's users table, one row per vip threshold and the values around it.
    static let recharges: [Int?] = [0, 9, 10, 99, 100, 999, 1000, 4999, 5000, 9999, 10000, 250000, nil]

    static func vipLevel(_ recharge: Int?) -> Int {
        guard let r = recharge else { return 0 }
        if r >= 10000 { return 5 }
        if r >= 5000 { return 4 }
        if r >= 1000 { return 3 }
        if r >= 100 { return 2 }
        if r >= 10 { return 1 }
        return 0
    }

    static func createUsers(_ db: MariaDB, _ database: String) throws {
        let values = recharges.enumerated().map { i, r in "(\(i + 1), 'user\(i + 1)', \(r.map(String.init) ?? "NULL"))" }
        try db.sql(
            """
            CREATE TABLE users (id INT PRIMARY KEY, name VARCHAR(32) NOT NULL, total_recharge INT NULL);
            INSERT INTO users (id, name, total_recharge) VALUES \(values.joined(separator: ", "));
            """, database: database)
    }

    /// Every row has the vip_level of its total_recharge and a last_login.
    static func expectMigrated(_ db: MariaDB, _ database: String) throws {
        let rows = try db.sql("SELECT id, total_recharge, vip_level, last_login IS NOT NULL FROM users ORDER BY id", database: database)
        #expect(rows.count == recharges.count, "\(rows)")
        for (i, recharge) in recharges.enumerated() where i < rows.count {
            let row = rows[i]
            #expect(row[0] == String(i + 1))
            #expect(row[1] == (recharge.map(String.init) ?? "NULL"))
            #expect(row[2] == String(vipLevel(recharge)), "row \(row): total_recharge \(String(describing: recharge))")
            #expect(row[3] == "1", "row \(row) has no last_login")
        }
        let columns = try db.sql(
            """
            SELECT column_name, data_type, column_default FROM information_schema.columns
            WHERE table_schema = '\(database)' AND table_name = 'users' AND column_name IN ('vip_level', 'last_login')
            ORDER BY column_name
            """)
        #expect(columns.map { Array($0.prefix(2)) } == [["last_login", "timestamp"], ["vip_level", "int"]], "\(columns)")
    }

    static func sha256(_ path: String) throws -> String {
        let r = try MariaDB.shell(["sha256sum", path])
        return String(r.output.prefix(64))
    }

    // MARK: - Queries

    @Test func queriesReturnTypedRowsResultsAndErrors() throws {
        let db = try MariaDB.server()
        let database = try db.database()
        defer { _ = try? db.sql("DROP DATABASE \(database)") }
        try db.sql(
            """
            CREATE TABLE items (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(32), qty SMALLINT, big BIGINT,
                ubig BIGINT UNSIGNED, price DECIMAL(10,2), whole DECIMAL(20,0), ratio DOUBLE, flags BIT(8),
                born DATE, note TEXT, data BLOB);
            INSERT INTO items (name, qty, big, ubig, price, whole, ratio, flags, born, note, data) VALUES
                ('sword', -3, 9007199254740993, 18446744073709551615, 12.50, 12345678901234, 0.25, b'00000101',
                 '2024-02-29', '中文 ok', UNHEX('00FF10')),
                ('empty', NULL, NULL, 7, NULL, NULL, NULL, NULL, NULL, '', NULL);
            """, database: database)
        let main = luaSource("queriesReturnTypedRowsResultsAndErrors/main.lua")
        let node = try Self.run(["main.lua": main], environment: db.settings(database), expectOK: 25)
        let logged = node.output.log.first { $0.contains("error : \u{1B}[31mmysql error 1054 (42S22): Unknown column 'nope'") }
        #expect(logged?.contains("statement: SELECT nope FROM items") == true, "\(node.output.log.joined(separator: "\n"))")
        #expect(node.output.log.contains { $0.contains("LAUNCH mysql root@unix:\(db.socket)/\(database) pool 2") })
    }

    /// Skynet's own driver API (`skynet.db.mysql`) over the native driver, over TCP.
    @Test func skynetsMysqlAPIQueriesPreparesAndReportsErrors() throws {
        let db = try MariaDB.server()
        let database = try db.database()
        defer { _ = try? db.sql("DROP DATABASE \(database)") }
        try Self.run(
            ["main.lua": luaSource("skynetMysqlAPI/main.lua")], environment: db.settings(database, socket: false), expectOK: 19)
    }

    // MARK: - The hot-update walkthrough's migration

    /// skynet.newservice("migrate_user_v2"): the hot-update walkthrough's file as it is, on luaservice.
    @Test func migrationRunsAsAServiceOnceAndIsRecorded() throws {
        let db = try MariaDB.server()
        let database = try db.database()
        defer { _ = try? db.sql("DROP DATABASE \(database)") }
        try Self.createUsers(db, database)
        let script = try Self.repoFile("scripts/migrate_user_v2.lua")
        let main = luaSource("migrationRunsAsAServiceOnceAndIsRecorded/main.lua")
        let node = try Self.run(
            ["main.lua": main, "migrate_user_v2.lua": script],
            environment: db.settings(database, socket: false), expectOK: 3)
        #expect(node.output.log.contains { $0.hasSuffix("] 用户数据迁移完成") })
        #expect(node.output.log.filter { $0.hasSuffix("] 用户数据迁移完成") }.count == 1)
        #expect(
            node.output.log.contains {
                $0.contains("migration migrate_user_v2 was already applied at") && $0.contains("it is not run again")
            },
            "\(node.output.log.joined(separator: "\n"))")
        try Self.expectMigrated(db, database)
        let record = try db.sql(
            "SELECT name, checksum, status, statements, applied_at IS NOT NULL, runner FROM skyhost_migrations", database: database)
        #expect(record.count == 1, "\(record)")
        if let r = record.first {
            #expect(r[0] == "migrate_user_v2")
            #expect(r[1] == (try Self.sha256(packageRoot + "/scripts/migrate_user_v2.lua")))
            #expect(r[2] == "applied" && r[3] == "2" && r[4] == "1", "\(r)")
            #expect(r[5].hasPrefix("service :"), "\(r)")
        }
    }

    /// lualib/migration.lua, as updater.run_script uses it: run once, record, name the failing statement.
    @Test func migrationRunnerRecordsRunsOnceAndNamesTheFailingStatement() throws {
        let db = try MariaDB.server()
        let database = try db.database()
        defer { _ = try? db.sql("DROP DATABASE \(database)") }
        try Self.createUsers(db, database)
        let name = "migrationRunnerRecordsRunsOnceAndNamesTheFailingStatement"
        let files = [
            "main.lua": luaSource(name + "/main.lua"),
            "scripts/migrate_user_v2.lua": try Self.repoFile("scripts/migrate_user_v2.lua"),
            "scripts/migrate_broken.lua": luaSource(name + "/scripts/migrate_broken.lua"),
            // A migration that catches its failed statement and goes on: nothing more of it runs.
            "scripts/migrate_caught.lua": luaSource(name + "/scripts/migrate_caught.lua"),
            "scripts/plain_script.lua": "return 'not a migration'",
        ]
        let node = try Self.run(files, environment: db.settings(database), expectOK: 10)
        #expect(
            node.output.stdout.contains("CAUGHT\tnil\tmigration migrate_caught already failed at statement 1; statement not run"),
            "\(node.output.stdout)")
        try Self.expectMigrated(db, database)
        let rows = try db.sql("SELECT name, status, statements FROM skyhost_migrations ORDER BY name", database: database)
        #expect(
            rows == [
                ["migrate_broken", "applied", "3"], ["migrate_caught", "failed", "0"],
                ["migrate_user_v2", "applied", "2"],
            ], "\(rows)")
    }

    /// `scripts/hotfix.sh NODE script scripts/migrate_user_v2.lua` against a running skyhost node
    /// (debug console + updater), as an operator runs it from the node's folder.
    @Test func hotfixScriptAppliesTheMigration() throws {
        let db = try MariaDB.server()
        let database = try db.database()
        defer { _ = try? db.sql("DROP DATABASE \(database)") }
        try Self.createUsers(db, database)
        let folder = try ServiceFolder([
            "main.lua": luaSource("hotfixScriptAppliesTheMigration/main.lua")
        ])
        try folder.write("scripts/migrate_user_v2.lua", try Self.repoFile("scripts/migrate_user_v2.lua"))
        func config(_ port: String) -> String {
            """
            start = "main"
            luaservice = "./?.lua"
            console = "127.0.0.1:\(port)"
            mysql_socket = "\(db.socket)"
            mysql_database = "\(database)"
            """
        }
        try folder.write("config.test", config("0"))
        let node = try NodeProcess(["config.test"], in: folder.path)
        defer { node.stop() }
        let port = String(try node.consolePort())
        _ = try node.waitFor("READY", timeout: 20) { $0.hasSuffix("] READY") }
        try folder.write("config.test", config(port))

        let first = try MariaDB.shell(
            ["bash", packageRoot + "/scripts/hotfix.sh", "test", "script", "scripts/migrate_user_v2.lua"],
            in: folder.path)
        #expect(first.status == 0 && first.output.contains("更新完成"), "\(first.output)\n\(node.lines.joined(separator: "\n"))")
        try Self.expectMigrated(db, database)

        // Again: nothing is applied twice (updater.run_script goes through lualib/migration.lua,
        // which recognises the run and skips it; without it the ALTER would fail).
        try db.sql("UPDATE users SET vip_level = 42 WHERE id = 11", database: database)
        let second = try MariaDB.shell(
            ["bash", packageRoot + "/scripts/hotfix.sh", "test", "script", "scripts/migrate_user_v2.lua"],
            in: folder.path)
        #expect(second.status == 0 && second.output.contains("already applied"), "\(second.output)")
        let record = try db.sql("SELECT status, statements, runner FROM skyhost_migrations", database: database)
        #expect(record == [["applied", "2", "script scripts/migrate_user_v2.lua"]], "\(record)")
        #expect(try db.sql("SELECT vip_level FROM users WHERE id = 11", database: database) == [["42"]])
    }

    // MARK: - Connections

    @Test func reconnectsAfterTheServerRestarts() throws {
        let db = try MariaDB.server()
        let database = try db.database()
        defer { _ = try? db.sql("DROP DATABASE \(database)") }
        // main (:00000008) answers each text message "try N" with a log line "RESULT N a|b|c|d":
        // four statements at once, so that every connection of the pool is used.
        let main = luaSource("reconnectsAfterTheServerRestarts/main.lua")
        let node = try TestNode(["main.lua": main], environment: db.settings(database))
        try node.output.waitForLog(containing: "] READY")
        var round = 0
        func ask() throws -> [String] {
            round += 1
            node.sendText(to: 8, "try \(round)")
            let line = try node.output.waitForLog(containing: "] RESULT \(round) ", timeout: 30)
            return line.components(separatedBy: "] RESULT \(round) ").last!.split(separator: "|").map(String.init)
        }
        let before = try ask()
        #expect(before.count == 4 && before.allSatisfy { $0.hasPrefix("ok ") }, "\(before)")

        // Server down: each statement fails with the client's reason, nothing hangs.
        try db.stop()
        let down = try ask()
        #expect(down.count == 4 && down.allSatisfy { $0.hasPrefix("mysql error 2002 (HY000): Can't connect") }, "\(down)")

        // Up again: the next statements reconnect.
        try db.start()
        let after = try ask()
        #expect(after.count == 4 && after.allSatisfy { $0.hasPrefix("ok ") }, "\(after)")

        // A restart between two statements, the connections idle: nothing fails.
        try db.stop()
        try db.start()
        let again = try ask()
        #expect(again.count == 4 && again.allSatisfy { $0.hasPrefix("ok ") }, "\(again)\n\(node.output.log.joined(separator: "\n"))")
        #expect(node.output.log.contains { $0.contains("was closed by the server; reconnecting") })
    }

    /// SELECT SLEEP(2) holds a driver thread, not a worker: with two SLEEP(2) running at once on
    /// a node with two worker threads (were statements run on workers, both would be blocked), a
    /// ping service keeps answering during the sleep, and mysql_mgr answers another statement.
    @Test func aSlowQueryDoesNotStallOtherServices() throws {
        let db = try MariaDB.server()
        let database = try db.database()
        defer { _ = try? db.sql("DROP DATABASE \(database)") }
        let main = luaSource("aSlowQueryDoesNotStallOtherServices/main.lua")
        let echo = luaSource("aSlowQueryDoesNotStallOtherServices/echo.lua")
        var env = db.settings(database)
        env["mysql_pool"] = "3"
        try Self.run(["main.lua": main, "echo.lua": echo], environment: env, threads: 2, expectOK: 6)
    }
}
