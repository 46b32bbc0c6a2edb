import CMariaDB
import Foundation
import Glibc
import Skyhost

/// A native service that runs SQL statements for Lua services on threads of its own, never on
/// the workers: a slow statement (`SELECT SLEEP(2)`) holds one driver thread and nothing else.
///
/// Lua talks to it with Skynet's ordinary call machinery:
///
///     local ok, result = skynet.call(driver, "lua", sql)
///
/// The worker that dispatches the request only decodes it and queues it; a driver thread runs it
/// on its own connection and delivers the reply as a `RESPONSE` message with the caller's session
/// (`node.deliver`), which resumes the waiting coroutine like any other reply. The reply is
/// `skynet.pack(true, result)` (see `MySQLConnection` for the shapes) or `skynet.pack(false,
/// {badresult = true, errno = N, err = "server message", sqlstate = "XXXXX" [, statement = k]})`,
/// the error table of Skynet's mysql.lua. A `send` (session 0) runs the statement and replies
/// nothing.
///
/// Connections: each of the `pool` threads opens its own connection at its first statement.
/// Before every statement an idle connection is checked with a zero-timeout `poll` (a closed
/// connection is readable), so a server that restarted is reconnected to transparently; a
/// statement that fails because the connection was already gone when it was sent (error 2006)
/// is sent once more on a new connection. A statement that was cut off while running (2013,
/// server shutdown) is reported, never repeated, and the next statement reconnects.
///
/// The service is killed like any other (`skynet.kill`); statements still queued then get an
/// error reply, running ones finish and their threads end.
final class MySQLDriver: ServiceBody, @unchecked Sendable {
    let settings: MySQLSettings
    private let handle: UInt32
    private weak var node: Node?
    private let lock = ConditionLock()
    // Guarded by `lock`.
    private var jobs: [Job] = []
    private var head = 0
    private var stopped = false

    private struct BadRequest: Error, CustomStringConvertible {
        let description: String
    }

    private struct Job {
        let source: UInt32
        let session: Int32
        let sql: [UInt8]
    }

    /// Connector/C's process-wide initialisation, once (thread-safe, as every Swift static).
    private static let library: Int32 = mysql_server_init(0, nil, nil)

    init(settings: MySQLSettings, handle: UInt32, node: Node) {
        _ = Self.library
        self.settings = settings
        self.handle = handle
        self.node = node
        for i in 0..<max(1, settings.pool) {
            let thread = Thread { [self] in run() }
            thread.name = "skyhost-mysql-\(i)"
            thread.start()
        }
    }

    // MARK: ServiceBody (on the worker that owns the service)

    func dispatch(_ message: Message, in service: Service) {
        guard message.type == ProtocolType.lua.rawValue else {
            if message.session != 0 && message.type != ProtocolType.response.rawValue && message.type != ProtocolType.error.rawValue {
                service.node.deliver(
                    Message(
                        source: handle, session: message.session, type: ProtocolType.error.rawValue,
                        data: nil, size: 0), to: message.source)
            }
            return
        }
        var reader = SkynetPack.Reader(UnsafeRawBufferPointer(start: message.data, count: message.data == nil ? 0 : message.size))
        let sql: [UInt8]
        do {
            guard let text = try reader.stringBytes() else {
                throw BadRequest(description: "the request must be a string of SQL")
            }
            sql = text
        } catch {
            reply(
                failure: MySQLFailure(code: 0, message: "bad request to the mysql driver: \(error)", sqlState: "HY000"),
                to: message.source, session: message.session)
            return
        }
        let accepted: Bool = lock.withLock {
            guard !stopped else { return false }
            jobs.append(Job(source: message.source, session: message.session, sql: sql))
            lock.signal()
            return true
        }
        if !accepted {
            reply(failure: Self.closedFailure, to: message.source, session: message.session)
        }
    }

    func close(_ service: Service) {
        let dropped: [Job] = lock.withLock {
            stopped = true
            let rest = Array(jobs[head...])
            jobs = []
            head = 0
            lock.broadcast()
            return rest
        }
        for job in dropped { reply(failure: Self.closedFailure, to: job.source, session: job.session) }
    }

    private static let closedFailure = MySQLFailure(code: 0, message: "the mysql driver was closed", sqlState: "HY000")

    // MARK: Driver threads

    private func take() -> Job? {
        lock.withLock {
            while !stopped && head == jobs.count { lock.wait() }
            guard !stopped else { return nil }
            let job = jobs[head]
            head += 1
            if head == jobs.count {
                jobs.removeAll(keepingCapacity: jobs.capacity <= 64)
                head = 0
            }
            return job
        }
    }

    private func run() {
        var connection: MySQLConnection?
        while let job = take() {
            let result = perform(job.sql, on: &connection)
            guard job.session != 0 else { continue }
            switch result {
            case .success(let writer): deliver(writer, to: job.source, session: job.session)
            case .failure(let failure): reply(failure: failure, to: job.source, session: job.session)
            }
        }
        connection = nil
        mysql_thread_end()
    }

    private func perform(_ sql: [UInt8], on connection: inout MySQLConnection?) -> Result<SkynetPack.Writer, MySQLFailure> {
        var retried = false
        while true {
            if let c = connection, !c.looksAlive {
                connection = nil
                log("mysql connection to \(settings) was closed by the server; reconnecting")
            }
            if connection == nil {
                do {
                    connection = try MySQLConnection(settings)
                } catch {
                    return .failure(error)
                }
            }
            var out = SkynetPack.Writer()
            out.write(true)
            do {
                try connection!.execute(sql, into: &out)
                return .success(out)
            } catch {
                if error.dropsConnection {
                    connection = nil
                    log("mysql connection to \(settings) lost (\(error)); the next statement reconnects")
                }
                if error.notSent && !retried {
                    retried = true
                    continue
                }
                return .failure(error)
            }
        }
    }

    private func log(_ text: String) {
        node?.log(source: handle, text)
    }

    private func reply(failure: MySQLFailure, to source: UInt32, session: Int32) {
        guard session != 0 else { return }
        var out = SkynetPack.Writer()
        out.write(false)
        out.beginTable(arrayCount: 0)
        out.field("badresult", true)
        out.field("errno", Int64(failure.code))
        out.field("err", failure.message)
        out.field("sqlstate", failure.sqlState)
        if failure.statement > 1 { out.field("statement", Int64(failure.statement)) }
        out.endTable()
        deliver(out, to: source, session: session)
    }

    private func deliver(_ writer: SkynetPack.Writer, to source: UInt32, session: Int32) {
        guard let node else { return }
        let (data, size) = Message.payload(copying: writer.bytes)
        node.deliver(Message(source: handle, session: session, type: ProtocolType.response.rawValue, data: data, size: size), to: source)
    }
}
