import CMariaDB
import Glibc
import Skyhost

/// One client connection (Connector/C's `MYSQL`), used by one driver thread at a time.
///
/// Statements run with the text protocol and CLIENT_MULTI_STATEMENTS (as Skynet's mysql.lua), and
/// their results are written straight into a `skynet.pack` stream:
///
/// - a result set is an array of rows, each a table column name → value; NULL columns are
///   absent; integer columns (TINYINT..BIGINT, YEAR, BIT) are Lua integers (an unsigned BIGINT
///   above 2^63-1 stays a string), FLOAT / DOUBLE are floats, DECIMAL is an integer when it has
///   no fractional part and fits, a float otherwise; everything else (text, blobs, dates,
///   times) is a string with the server's bytes;
/// - a statement without a result set is `{affected_rows=, insert_id=, server_status=,
///   warning_count= [, message=]}`;
/// - several statements in one call give `{result1, result2, ..., multiresultset = true}`.
final class MySQLConnection {
    private let mysql: UnsafeMutablePointer<MYSQL>

    init(_ settings: MySQLSettings) throws(MySQLFailure) {
        guard let mysql = mysql_init(nil) else {
            throw MySQLFailure(code: 2008, message: "MySQL client ran out of memory", sqlState: "HY000")
        }
        var timeout = settings.connectTimeout
        mysql_options(mysql, MYSQL_OPT_CONNECT_TIMEOUT, &timeout)
        mysql_options(mysql, MYSQL_SET_CHARSET_NAME, settings.charset)
        var off: UInt32 = 0
        mysql_options(mysql, MYSQL_OPT_LOCAL_INFILE, &off)
        let flags = UInt(CLIENT_MULTI_STATEMENTS) | UInt(CLIENT_MULTI_RESULTS)
        let password = settings.password.flatMap { $0.isEmpty ? nil : $0 }
        let connected: UnsafeMutablePointer<MYSQL>?
        if let socket = settings.socket, !socket.isEmpty {
            connected = mysql_real_connect(mysql, "localhost", settings.user, password, settings.database, 0, socket, flags)
        } else {
            connected = mysql_real_connect(
                mysql, settings.host, settings.user, password, settings.database,
                settings.port, nil, flags)
        }
        guard connected != nil else {
            let failure = Self.failure(of: mysql)
            mysql_close(mysql)
            throw failure
        }
        self.mysql = mysql
    }

    deinit { mysql_close(mysql) }

    private static func failure(of mysql: UnsafeMutablePointer<MYSQL>, statement: Int = 1) -> MySQLFailure {
        MySQLFailure(
            code: mysql_errno(mysql), message: String(cString: mysql_error(mysql)),
            sqlState: String(cString: mysql_sqlstate(mysql)), statement: statement)
    }

    /// False when the server has closed the connection (or sent something unasked, such as a
    /// "disconnected for inactivity" error) since the last statement. A request/response
    /// protocol never has anything to read on an idle connection, so this costs one `poll`.
    var looksAlive: Bool {
        var p = pollfd(fd: mysql_get_socket(mysql), events: Int16(POLLIN), revents: 0)
        let r = poll(&p, 1, 0)
        return r == 0 || (r < 0 && errno == EINTR)
    }

    /// Runs `sql` (one statement or several separated by `;`) and writes its result to `out`.
    func execute(_ sql: [UInt8], into out: inout SkynetPack.Writer) throws(MySQLFailure) {
        let status = sql.withUnsafeBufferPointer { b in
            b.baseAddress!.withMemoryRebound(to: CChar.self, capacity: b.count) {
                mysql_real_query(mysql, $0, UInt(b.count))
            }
        }
        guard status == 0 else { throw Self.failure(of: mysql) }
        var results: [SkynetPack.Writer] = []
        var index = 1
        while true {
            var part = SkynetPack.Writer()
            if let result = mysql_store_result(mysql) {
                Self.writeRows(result, into: &part)
                mysql_free_result(result)
            } else if mysql_field_count(mysql) == 0 {
                part.beginTable(arrayCount: 0)
                part.field("affected_rows", Int64(bitPattern: UInt64(mysql_affected_rows(mysql))))
                part.field("insert_id", Int64(bitPattern: UInt64(mysql_insert_id(mysql))))
                part.field("server_status", Int64(mysql.pointee.server_status))
                part.field("warning_count", Int64(mysql_warning_count(mysql)))
                if let info = mysql_info(mysql) { part.field("message", String(cString: info)) }
                part.endTable()
            } else {
                throw Self.failure(of: mysql, statement: index)
            }
            results.append(part)
            let more = mysql_next_result(mysql)
            if more > 0 { throw Self.failure(of: mysql, statement: index + 1) }
            if more < 0 { break }
            index += 1
        }
        if results.count == 1 {
            out.append(results[0])
        } else {
            out.beginTable(arrayCount: results.count)
            for r in results { out.append(r) }
            out.field("multiresultset", true)
            out.endTable()
        }
    }

    private enum Kind { case integer, unsigned, real, decimal, bit, bytes }

    private static func kind(of field: MYSQL_FIELD) -> Kind {
        switch field.type {
        case MYSQL_TYPE_TINY, MYSQL_TYPE_SHORT, MYSQL_TYPE_LONG, MYSQL_TYPE_INT24, MYSQL_TYPE_LONGLONG, MYSQL_TYPE_YEAR:
            return field.flags & UInt32(UNSIGNED_FLAG) != 0 ? .unsigned : .integer
        case MYSQL_TYPE_FLOAT, MYSQL_TYPE_DOUBLE:
            return .real
        case MYSQL_TYPE_DECIMAL, MYSQL_TYPE_NEWDECIMAL:
            return .decimal
        case MYSQL_TYPE_BIT:
            return .bit
        default:
            return .bytes
        }
    }

    private static func writeRows(_ result: UnsafeMutablePointer<MYSQL_RES>, into out: inout SkynetPack.Writer) {
        let count = Int(mysql_num_fields(result))
        var names: [[UInt8]] = []
        var kinds: [Kind] = []
        if count > 0, let fields = mysql_fetch_fields(result) {
            for i in 0..<count {
                let f = fields[i]
                names.append(f.name.map { Array(UnsafeRawBufferPointer(start: $0, count: Int(f.name_length))) } ?? [])
                kinds.append(kind(of: f))
            }
        }
        out.beginTable(arrayCount: Int(mysql_num_rows(result)))
        while let row = mysql_fetch_row(result) {
            guard let lengths = mysql_fetch_lengths(result) else { break }
            out.beginTable(arrayCount: 0)
            for i in 0..<names.count {
                guard let cell = row[i] else { continue }  // NULL: no key
                let bytes = UnsafeRawBufferPointer(start: cell, count: Int(lengths[i]))
                names[i].withUnsafeBytes { out.write(bytes: $0) }
                writeValue(bytes, kinds[i], into: &out)
            }
            out.endTable()
        }
        out.endTable()
    }

    private static func writeValue(_ bytes: UnsafeRawBufferPointer, _ kind: Kind, into out: inout SkynetPack.Writer) {
        switch kind {
        case .integer, .unsigned:
            if let v = integer(bytes) { out.write(v) } else { out.write(bytes: bytes) }
        case .real:
            out.write(real(bytes))
        case .decimal:
            if !bytes.contains(UInt8(ascii: ".")), let v = integer(bytes) { out.write(v) } else { out.write(real(bytes)) }
        case .bit:
            var v: UInt64 = 0
            for b in bytes { v = v << 8 | UInt64(b) }
            out.write(Int64(bitPattern: v))
        case .bytes:
            out.write(bytes: bytes)
        }
    }

    /// A decimal integer that fits in Int64, or nil.
    private static func integer(_ bytes: UnsafeRawBufferPointer) -> Int64? {
        guard !bytes.isEmpty else { return nil }
        var negative = false
        var i = 0
        if bytes[0] == UInt8(ascii: "-") || bytes[0] == UInt8(ascii: "+") {
            negative = bytes[0] == UInt8(ascii: "-")
            i = 1
            guard bytes.count > 1 else { return nil }
        }
        var v: Int64 = 0
        while i < bytes.count {
            let d = Int64(bytes[i]) - 48
            guard (0...9).contains(d) else { return nil }
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (s, o2) = negative ? m.subtractingReportingOverflow(d) : m.addingReportingOverflow(d)
            if o1 || o2 { return nil }
            v = s
            i += 1
        }
        return v
    }

    private static func real(_ bytes: UnsafeRawBufferPointer) -> Double {
        var text = Array(bytes)
        text.append(0)
        return text.withUnsafeBufferPointer { b in
            b.baseAddress!.withMemoryRebound(to: CChar.self, capacity: b.count) { strtod($0, nil) }
        }
    }
}
