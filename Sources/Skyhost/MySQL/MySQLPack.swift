import Glibc

/// The part of the `skynet.pack` format the MySQL driver needs, in Swift, so that requests are
/// read and results built on the driver's own threads without a `lua_State` (the format is
/// described in DESIGN.md and in Sources/CSkyhostNative/serialize.c; the bytes are identical).
///
/// `MySQLPackWriter` builds a value stream; `MySQLPackReader` reads scalars (nil, booleans,
/// numbers, strings) and refuses tables, which a request never contains.
struct MySQLPackWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 64) { bytes.reserveCapacity(capacity) }

    private static let maxCookie = 32

    private mutating func header(_ type: UInt8, _ cookie: Int) {
        bytes.append(type | UInt8(cookie) << 3)
    }

    private mutating func little(_ v: UInt64, _ count: Int) {
        for i in 0..<count { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) }
    }

    mutating func writeNil() { header(0, 0) }

    mutating func write(_ value: Bool) { header(1, value ? 1 : 0) }

    mutating func write(_ v: Int64) {
        if v == 0 {
            header(2, 0)
        } else if v != Int64(Int32(truncatingIfNeeded: v)) {
            header(2, 6); little(UInt64(bitPattern: v), 8)
        } else if v < 0 {
            header(2, 4); little(UInt64(UInt32(bitPattern: Int32(v))), 4)
        } else if v < 0x100 {
            header(2, 1); little(UInt64(v), 1)
        } else if v < 0x10000 {
            header(2, 2); little(UInt64(v), 2)
        } else {
            header(2, 4); little(UInt64(v), 4)
        }
    }

    mutating func write(_ v: Double) {
        header(2, 8)
        little(v.bitPattern, 8)
    }

    mutating func write(bytes s: UnsafeRawBufferPointer) {
        let n = s.count
        if n < Self.maxCookie {
            header(4, n)
        } else if n < 0x10000 {
            header(5, 2); little(UInt64(n), 2)
        } else {
            header(5, 4); little(UInt64(n), 4)
        }
        bytes.append(contentsOf: s)
    }

    mutating func write(_ s: String) {
        var s = s
        s.withUTF8 { write(bytes: UnsafeRawBufferPointer($0)) }
    }

    /// Starts a table whose array part has `arrayCount` values (written next, in order); hash
    /// pairs follow (key, value, key, value ...), then `endTable()`.
    mutating func beginTable(arrayCount: Int) {
        if arrayCount >= Self.maxCookie - 1 {
            header(6, Self.maxCookie - 1)
            write(Int64(arrayCount))
        } else {
            header(6, arrayCount)
        }
    }

    mutating func endTable() { writeNil() }

    /// `key = value` pairs of a table being written.
    mutating func field(_ key: String, _ value: Int64) { write(key); write(value) }
    mutating func field(_ key: String, _ value: String) { write(key); write(value) }
    mutating func field(_ key: String, _ value: Bool) { write(key); write(value) }

    /// Appends another writer's values.
    mutating func append(_ other: MySQLPackWriter) { bytes.append(contentsOf: other.bytes) }

    /// The bytes as a malloc'd message payload.
    func payload() -> (UnsafeMutableRawPointer?, Int) { Message.payload(copying: bytes) }
}

/// Reads scalar values from a `skynet.pack` stream.
struct MySQLPackReader {
    enum Value: Equatable {
        case none
        case boolean(Bool)
        case integer(Int64)
        case real(Double)
        case string([UInt8])

        var text: String? {
            if case .string(let b) = self { return String(decoding: b, as: UTF8.self) }
            return nil
        }
    }

    struct Invalid: Error, CustomStringConvertible {
        let description: String
    }

    private let data: UnsafeRawBufferPointer
    private var position = 0

    init(_ data: UnsafeRawBufferPointer) { self.data = data }

    var atEnd: Bool { position >= data.count }

    private mutating func take(_ n: Int) throws -> UnsafeRawBufferPointer {
        guard n >= 0, data.count - position >= n else { throw Invalid(description: "Invalid serialize stream (truncated)") }
        defer { position += n }
        return UnsafeRawBufferPointer(rebasing: data[position..<position + n])
    }

    private mutating func little(_ n: Int) throws -> UInt64 {
        let b = try take(n)
        var v: UInt64 = 0
        for i in 0..<n { v |= UInt64(b[i]) << (8 * UInt64(i)) }
        return v
    }

    /// The next value.
    mutating func next() throws -> Value {
        let h = try take(1)[0]
        let type = h & 7, cookie = Int(h >> 3)
        switch type {
        case 0: return .none
        case 1: return .boolean(cookie != 0)
        case 2:
            switch cookie {
            case 0: return .integer(0)
            case 1: return .integer(Int64(try little(1)))
            case 2: return .integer(Int64(try little(2)))
            case 4: return .integer(Int64(Int32(bitPattern: UInt32(try little(4)))))
            case 6: return .integer(Int64(bitPattern: try little(8)))
            case 8: return .real(Double(bitPattern: try little(8)))
            default: throw Invalid(description: "Invalid serialize stream (number cookie \(cookie))")
            }
        case 4: return .string(Array(try take(cookie)))
        case 5:
            let n: Int
            switch cookie {
            case 2: n = Int(try little(2))
            case 4: n = Int(try little(4))
            default: throw Invalid(description: "Invalid serialize stream (string cookie \(cookie))")
            }
            return .string(Array(try take(n)))
        case 6: throw Invalid(description: "tables are not accepted here")
        default: throw Invalid(description: "Invalid serialize stream (type \(type))")
        }
    }

    /// Every value in the stream.
    mutating func all() throws -> [Value] {
        var values: [Value] = []
        while !atEnd { values.append(try next()) }
        return values
    }
}
