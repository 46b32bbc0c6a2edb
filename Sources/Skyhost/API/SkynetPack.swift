/// `skynet.pack` / `skynet.unpack` in Swift, byte-compatible with the Lua side (and Skynet), so
/// Swift code can talk to Lua services without a Lua state of its own.
public enum SkynetPack {
    /// An error decoding a buffer.
    public struct InvalidStream: Error, CustomStringConvertible, Sendable {
        /// Where decoding stopped.
        public let offset: Int
        /// A readable explanation.
        public var description: String { "Invalid serialize stream at byte \(offset)" }
    }

    /// Encodes values as `skynet.pack(...)` would.
    public static func pack(_ values: [LuaValue]) throws -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for v in values { try write(v, into: &out, depth: 0) }
        return out
    }

    /// Decodes a `skynet.pack` buffer into its values.
    public static func unpack(_ bytes: UnsafeRawBufferPointer) throws -> [LuaValue] {
        var reader = Reader(bytes: bytes)
        var values: [LuaValue] = []
        while reader.offset < bytes.count { values.append(try reader.value(depth: 0)) }
        return values
    }

    /// Decodes a `skynet.pack` buffer into its values.
    public static func unpack(_ bytes: [UInt8]) throws -> [LuaValue] {
        try bytes.withUnsafeBytes { try unpack($0) }
    }

    static let maxDepth = 32

    /// A value that cannot be packed: a table nested deeper than Skynet allows.
    public struct TooDeep: Error, CustomStringConvertible, Sendable {
        /// A readable explanation.
        public var description: String { "serialize can't pack too depth table" }
    }

    private static func header(_ type: UInt8, _ cookie: UInt8) -> UInt8 { type | (cookie << 3) }

    private static func appendLE<T: FixedWidthInteger>(_ v: T, _ out: inout [UInt8]) {
        withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) }
    }

    private static func writeInteger(_ v: Int64, _ out: inout [UInt8]) {
        if v == 0 {
            out.append(header(2, 0))
        } else if v != Int64(Int32(truncatingIfNeeded: v)) {
            out.append(header(2, 6)); appendLE(v, &out)
        } else if v < 0 {
            out.append(header(2, 4)); appendLE(Int32(v), &out)
        } else if v < 0x100 {
            out.append(header(2, 1)); out.append(UInt8(v))
        } else if v < 0x10000 {
            out.append(header(2, 2)); appendLE(UInt16(v), &out)
        } else {
            out.append(header(2, 4)); appendLE(UInt32(v), &out)
        }
    }

    private static func write(_ value: LuaValue, into out: inout [UInt8], depth: Int) throws {
        switch value {
        case .nil: out.append(0)
        case .bool(let b): out.append(header(1, b ? 1 : 0))
        case .integer(let i): writeInteger(i, &out)
        case .number(let d): out.append(header(2, 8)); appendLE(d.bitPattern, &out)
        case .string(let s):
            let bytes = Array(s.utf8)
            if bytes.count < 32 {
                out.append(header(4, UInt8(bytes.count)))
            } else if bytes.count < 0x10000 {
                out.append(header(5, 2)); appendLE(UInt16(bytes.count), &out)
            } else {
                out.append(header(5, 4)); appendLE(UInt32(bytes.count), &out)
            }
            out.append(contentsOf: bytes)
        case .table(let t):
            guard depth + 1 <= maxDepth else { throw TooDeep() }
            var n = 0
            while t[.integer(Int64(n + 1))] != nil { n += 1 }
            if n >= 31 {
                out.append(header(6, 31)); writeInteger(Int64(n), &out)
            } else {
                out.append(header(6, UInt8(n)))
            }
            for i in 0..<n { try write(t[.integer(Int64(i + 1))]!, into: &out, depth: depth + 1) }
            for (k, v) in t {
                if case .integer(let i) = k, i >= 1, i <= n { continue }
                try write(k, into: &out, depth: depth + 1)
                try write(v, into: &out, depth: depth + 1)
            }
            out.append(0)
        }
    }

    private struct Reader {
        let bytes: UnsafeRawBufferPointer
        var offset = 0

        mutating func take(_ n: Int) throws -> UnsafeRawBufferPointer {
            guard n >= 0, bytes.count - offset >= n else { throw InvalidStream(offset: offset) }
            defer { offset += n }
            return UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + n])
        }

        mutating func le<T: FixedWidthInteger>(_: T.Type) throws -> T {
            let b = try take(MemoryLayout<T>.size)
            var v: T = 0
            withUnsafeMutableBytes(of: &v) { $0.copyMemory(from: b) }
            return T(littleEndian: v)
        }

        mutating func integer(_ cookie: UInt8) throws -> Int64 {
            switch cookie {
            case 0: return 0
            case 1: return Int64(try le(UInt8.self))
            case 2: return Int64(try le(UInt16.self))
            case 4: return Int64(try le(Int32.self))
            case 6: return try le(Int64.self)
            default: throw InvalidStream(offset: offset)
            }
        }

        mutating func value(depth: Int) throws -> LuaValue {
            let h = try le(UInt8.self)
            let type = h & 7, cookie = h >> 3
            switch type {
            case 0: return .nil
            case 1: return .bool(cookie != 0)
            case 2:
                if cookie == 8 { return .number(Double(bitPattern: try le(UInt64.self))) }
                return .integer(try integer(cookie))
            case 3:
                _ = try take(MemoryLayout<UInt>.size)  // a light userdata: meaningless here
                return .nil
            case 4: return .string(String(decoding: try take(Int(cookie)), as: UTF8.self))
            case 5:
                let n: Int
                switch cookie {
                case 2: n = Int(try le(UInt16.self))
                case 4: n = Int(try le(UInt32.self))
                default: throw InvalidStream(offset: offset)
                }
                return .string(String(decoding: try take(n), as: UTF8.self))
            case 6:
                guard depth + 1 <= SkynetPack.maxDepth else { throw InvalidStream(offset: offset) }
                var n = Int64(cookie)
                if cookie == 31 {
                    let h2 = try le(UInt8.self)
                    guard h2 & 7 == 2, h2 >> 3 != 8 else { throw InvalidStream(offset: offset) }
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
                    if bytes[offset] & 7 == 0 {
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
