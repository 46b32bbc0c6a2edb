/// A Lua value that can cross between Swift and Lua services: what `skynet.pack` can carry,
/// except light userdata.
///
/// Lua strings are byte strings; `string` holds them as Swift `String` (bytes that are not UTF-8
/// are replaced when decoded). Tables are dictionaries: a Lua sequence `{10, 20}` is
/// `[1: 10, 2: 20]`; `LuaValue.array` and `subscript(_:)` make that convenient.
public enum LuaValue: Hashable, Sendable {
    /// Lua's nil (also what a missing value reads as).
    case `nil`
    /// A boolean.
    case bool(Bool)
    /// An integer (Lua 5.4 integer subtype).
    case integer(Int64)
    /// A float.
    case number(Double)
    /// A string.
    case string(String)
    /// A table: keys and values, nil values left out.
    case table([LuaValue: LuaValue])

    /// A Lua sequence: keys 1...n.
    public static func array(_ values: [LuaValue]) -> LuaValue {
        var table: [LuaValue: LuaValue] = [:]
        for (i, v) in values.enumerated() where v != .nil { table[.integer(Int64(i + 1))] = v }
        return .table(table)
    }

    /// The value at `key` of a table (nil for anything else).
    public subscript(_ key: LuaValue) -> LuaValue {
        if case .table(let t) = self { return t[key] ?? .nil }
        return .nil
    }

    /// The value at a string key of a table.
    public subscript(_ key: String) -> LuaValue { self[.string(key)] }

    /// The string, if this is one.
    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// The integer, if this is one (or a float with an integral value, as Lua converts).
    public var integerValue: Int64? {
        switch self {
        case .integer(let i): return i
        case .number(let d): return d.rounded() == d && abs(d) < 9.2e18 ? Int64(d) : nil
        default: return nil
        }
    }

    /// The number, if this is an integer or a float.
    public var numberValue: Double? {
        switch self {
        case .integer(let i): return Double(i)
        case .number(let d): return d
        default: return nil
        }
    }

    /// The boolean, if this is one.
    public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    /// The array part of a table (values at 1, 2, ... up to the first missing key).
    public var arrayValue: [LuaValue]? {
        guard case .table(let t) = self else { return nil }
        var out: [LuaValue] = []
        while let v = t[.integer(Int64(out.count + 1))] { out.append(v) }
        return out
    }

    /// Lua truthiness: everything but nil and false.
    public var isTruthy: Bool {
        switch self {
        case .nil, .bool(false): return false
        default: return true
        }
    }
}

extension LuaValue: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral,
    ExpressibleByDictionaryLiteral
{
    /// `nil`.
    public init(nilLiteral: ()) { self = .nil }
    /// `true` / `false`.
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    /// An integer literal.
    public init(integerLiteral value: Int64) { self = .integer(value) }
    /// A float literal.
    public init(floatLiteral value: Double) { self = .number(value) }
    /// A string literal.
    public init(stringLiteral value: String) { self = .string(value) }
    /// `[a, b]`: a Lua sequence.
    public init(arrayLiteral elements: LuaValue...) { self = .array(elements) }
    /// `["k": v]`: a table (nil keys and values left out).
    public init(dictionaryLiteral elements: (LuaValue, LuaValue)...) {
        var t: [LuaValue: LuaValue] = [:]
        for (k, v) in elements where k != .nil && v != .nil { t[k] = v }
        self = .table(t)
    }
}

extension LuaValue: CustomStringConvertible {
    /// A Lua-like rendering, for logs and test messages.
    public var description: String {
        switch self {
        case .nil: return "nil"
        case .bool(let b): return String(b)
        case .integer(let i): return String(i)
        case .number(let d): return String(d)
        case .string(let s): return String(reflecting: s)
        case .table(let t):
            let items = t.map { "[\($0.key)] = \($0.value)" }.sorted()
            return "{" + items.joined(separator: ", ") + "}"
        }
    }
}
