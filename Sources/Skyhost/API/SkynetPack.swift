/// `skynet.pack` / `skynet.unpack` in Swift, byte-compatible with the Lua side (and Skynet), so
/// Swift code can talk to Lua services without a Lua state of its own. The format is described in
/// docs/wire-format.md; `Sources/CSkyhostNative/serialize.c` is the same format for Lua.
public enum SkynetPack {
    /// An error decoding a buffer.
    public struct InvalidStream: Error, CustomStringConvertible, Sendable {
        /// Where decoding stopped.
        public let offset: Int
        /// A readable explanation.
        public var description: String { "Invalid serialize stream at byte \(offset)" }
    }

    /// A value that cannot be packed: a table nested deeper than Skynet allows.
    public struct TooDeep: Error, CustomStringConvertible, Sendable {
        /// A readable explanation.
        public var description: String { "serialize can't pack too depth table" }
    }

    /// Encodes values as `skynet.pack(...)` would.
    public static func pack(_ values: [LuaValue]) throws -> [UInt8] {
        var writer = Writer()
        for v in values { try writer.write(v, depth: 0) }
        return writer.bytes
    }

    /// Decodes a `skynet.pack` buffer into its values.
    public static func unpack(_ bytes: UnsafeRawBufferPointer) throws -> [LuaValue] {
        var reader = Reader(bytes)
        var values: [LuaValue] = []
        while !reader.atEnd { values.append(try reader.value(depth: 0)) }
        return values
    }

    /// Decodes a `skynet.pack` buffer into its values.
    public static func unpack(_ bytes: [UInt8]) throws -> [LuaValue] {
        try bytes.withUnsafeBytes { try unpack($0) }
    }

    /// How deep tables may nest, as in Skynet.
    static let maxDepth = 32

    /// The value types of a header byte (its low 3 bits; the high 5 are the cookie).
    private enum Kind {
        static let null: UInt8 = 0
        static let boolean: UInt8 = 1
        static let number: UInt8 = 2
        static let userdata: UInt8 = 3
        static let shortString: UInt8 = 4
        static let longString: UInt8 = 5
        static let table: UInt8 = 6
    }

    /// Number cookies: the integer's width, or a real.
    private enum NumberCookie {
        static let zero: UInt8 = 0
        static let byte: UInt8 = 1
        static let word: UInt8 = 2
        static let dword: UInt8 = 4
        static let qword: UInt8 = 6
        static let real: UInt8 = 8
    }

    /// The largest cookie: strings shorter than this fit in the header; an array part this long
    /// or longer has its length written after the header.
    private static let maxCookie = 32

    /// Writes a value stream piece by piece, so that large results (database rows) are encoded
    /// without building `LuaValue` tables first. Strings are bytes: they need not be UTF-8.
    package struct Writer {
        /// The stream so far.
        package private(set) var bytes: [UInt8] = []

        /// An empty stream with room for `capacity` bytes.
        package init(capacity: Int = 64) { bytes.reserveCapacity(capacity) }

        private mutating func header(_ kind: UInt8, _ cookie: Int) {
            bytes.append(kind | UInt8(cookie) << 3)
        }

        private mutating func little(_ v: UInt64, _ count: Int) {
            for i in 0..<count { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) }
        }

        /// Appends `nil`.
        package mutating func writeNil() { header(Kind.null, 0) }

        /// Appends a boolean.
        package mutating func write(_ value: Bool) { header(Kind.boolean, value ? 1 : 0) }

        /// Appends an integer in the narrowest of Skynet's widths.
        package mutating func write(_ v: Int64) {
            if v == 0 {
                header(Kind.number, Int(NumberCookie.zero))
            } else if v != Int64(Int32(truncatingIfNeeded: v)) {
                header(Kind.number, Int(NumberCookie.qword))
                little(UInt64(bitPattern: v), 8)
            } else if v < 0 {
                header(Kind.number, Int(NumberCookie.dword))
                little(UInt64(UInt32(bitPattern: Int32(v))), 4)
            } else if v < 0x100 {
                header(Kind.number, Int(NumberCookie.byte))
                little(UInt64(v), 1)
            } else if v < 0x10000 {
                header(Kind.number, Int(NumberCookie.word))
                little(UInt64(v), 2)
            } else {
                header(Kind.number, Int(NumberCookie.dword))
                little(UInt64(v), 4)
            }
        }

        /// Appends a real.
        package mutating func write(_ v: Double) {
            header(Kind.number, Int(NumberCookie.real))
            little(v.bitPattern, 8)
        }

        /// Appends a string given as bytes.
        package mutating func write(bytes s: UnsafeRawBufferPointer) {
            let n = s.count
            if n < maxCookie {
                header(Kind.shortString, n)
            } else if n < 0x10000 {
                header(Kind.longString, 2)
                little(UInt64(n), 2)
            } else {
                header(Kind.longString, 4)
                little(UInt64(n), 4)
            }
            bytes.append(contentsOf: s)
        }

        /// Appends a string.
        package mutating func write(_ s: String) {
            var s = s
            s.withUTF8 { write(bytes: UnsafeRawBufferPointer($0)) }
        }

        /// Starts a table whose array part has `arrayCount` values (written next, in order); hash
        /// pairs follow (key, value, key, value ...), then `endTable()`.
        package mutating func beginTable(arrayCount: Int) {
            if arrayCount >= maxCookie - 1 {
                header(Kind.table, maxCookie - 1)
                write(Int64(arrayCount))
            } else {
                header(Kind.table, arrayCount)
            }
        }

        /// Ends the table begun last.
        package mutating func endTable() { writeNil() }

        /// A `key = value` pair of the table being written.
        package mutating func field(_ key: String, _ value: Int64) {
            write(key)
            write(value)
        }

        /// A `key = value` pair of the table being written.
        package mutating func field(_ key: String, _ value: String) {
            write(key)
            write(value)
        }

        /// A `key = value` pair of the table being written.
        package mutating func field(_ key: String, _ value: Bool) {
            write(key)
            write(value)
        }

        /// Appends another writer's values.
        package mutating func append(_ other: Writer) { bytes.append(contentsOf: other.bytes) }

        /// Appends a `LuaValue`, whose tables are `depth` deep already.
        mutating func write(_ value: LuaValue, depth: Int) throws {
            switch value {
            case .nil: writeNil()
            case .bool(let b): write(b)
            case .integer(let i): write(i)
            case .number(let d): write(d)
            case .string(let s): write(s)
            case .table(let t):
                guard depth + 1 <= maxDepth else { throw TooDeep() }
                var n = 0
                while t[.integer(Int64(n + 1))] != nil { n += 1 }
                beginTable(arrayCount: n)
                for i in 0..<n { try write(t[.integer(Int64(i + 1))]!, depth: depth + 1) }
                for (k, v) in t {
                    if case .integer(let i) = k, i >= 1, i <= n { continue }
                    try write(k, depth: depth + 1)
                    try write(v, depth: depth + 1)
                }
                endTable()
            }
        }
    }

    /// Reads a value stream.
    package struct Reader {
        private let bytes: UnsafeRawBufferPointer
        private var offset = 0

        /// A reader at the start of `bytes`.
        package init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

        /// True when every value has been read.
        package var atEnd: Bool { offset >= bytes.count }

        private mutating func take(_ n: Int) throws -> UnsafeRawBufferPointer {
            guard n >= 0, bytes.count - offset >= n else { throw InvalidStream(offset: offset) }
            defer { offset += n }
            return UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + n])
        }

        private mutating func le<T: FixedWidthInteger>(_: T.Type) throws -> T {
            let b = try take(MemoryLayout<T>.size)
            var v: T = 0
            withUnsafeMutableBytes(of: &v) { $0.copyMemory(from: b) }
            return T(littleEndian: v)
        }

        private mutating func integer(_ cookie: UInt8) throws -> Int64 {
            switch cookie {
            case NumberCookie.zero: return 0
            case NumberCookie.byte: return Int64(try le(UInt8.self))
            case NumberCookie.word: return Int64(try le(UInt16.self))
            case NumberCookie.dword: return Int64(try le(Int32.self))
            case NumberCookie.qword: return try le(Int64.self)
            default: throw InvalidStream(offset: offset)
            }
        }

        /// The bytes of a string whose header (`kind`, `cookie`) has been read.
        private mutating func string(_ kind: UInt8, _ cookie: UInt8) throws -> UnsafeRawBufferPointer {
            if kind == Kind.shortString { return try take(Int(cookie)) }
            switch cookie {
            case 2: return try take(Int(try le(UInt16.self)))
            case 4: return try take(Int(try le(UInt32.self)))
            default: throw InvalidStream(offset: offset)
            }
        }

        /// The next value, if it is a string: its bytes (which need not be UTF-8); nil if it is
        /// a value of another type (which is read all the same).
        package mutating func stringBytes() throws -> [UInt8]? {
            guard !atEnd else { throw InvalidStream(offset: offset) }
            let kind = bytes[offset] & 7
            guard kind == Kind.shortString || kind == Kind.longString else {
                _ = try value(depth: 0)
                return nil
            }
            let h = try le(UInt8.self)
            return Array(try string(kind, h >> 3))
        }

        /// The next value; its tables may nest `maxDepth - depth` deep.
        mutating func value(depth: Int) throws -> LuaValue {
            let h = try le(UInt8.self)
            let kind = h & 7
            let cookie = h >> 3
            switch kind {
            case Kind.null: return .nil
            case Kind.boolean: return .bool(cookie != 0)
            case Kind.number:
                if cookie == NumberCookie.real { return .number(Double(bitPattern: try le(UInt64.self))) }
                return .integer(try integer(cookie))
            case Kind.userdata:
                _ = try take(MemoryLayout<UInt>.size)  // a light userdata: meaningless here
                return .nil
            case Kind.shortString, Kind.longString:
                return .string(String(decoding: try string(kind, cookie), as: UTF8.self))
            case Kind.table:
                guard depth + 1 <= SkynetPack.maxDepth else { throw InvalidStream(offset: offset) }
                var n = Int64(cookie)
                if cookie == maxCookie - 1 {
                    let h2 = try le(UInt8.self)
                    guard h2 & 7 == Kind.number, h2 >> 3 != NumberCookie.real else { throw InvalidStream(offset: offset) }
                    n = try integer(h2 >> 3)
                    guard n >= 0, n <= Int64(bytes.count - offset) else { throw InvalidStream(offset: offset) }
                }
                var t: [LuaValue: LuaValue] = [:]
                if n > 0 {
                    for i in 1...n {
                        let v = try value(depth: depth + 1)
                        if v != .nil { t[.integer(i)] = v }
                    }
                }
                while true {
                    // Any nil header ends the table; a light userdata key (which reads as nil
                    // here) does not: its pair is skipped, as a nil value would be.
                    guard offset < bytes.count else { throw InvalidStream(offset: offset) }
                    if bytes[offset] & 7 == Kind.null {
                        offset += 1
                        break
                    }
                    let k = try value(depth: depth + 1)
                    let v = try value(depth: depth + 1)
                    if case .number(let d) = k, d.isNaN { throw InvalidStream(offset: offset) }
                    if k != .nil && v != .nil { t[k] = v }
                }
                return .table(t)
            default:
                throw InvalidStream(offset: offset)
            }
        }
    }
}
