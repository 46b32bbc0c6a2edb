/// A service's 32-bit handle: the harbor id in the high 8 bits, a node-local index below.
///
/// Written as Skynet writes it, `:0000000a`.
public struct ServiceAddress: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The raw handle.
    public let rawValue: UInt32

    /// Wraps a raw handle.
    public init(_ rawValue: UInt32) { self.rawValue = rawValue }

    /// Bits of a handle that hold the harbor id.
    public static let harborShift: UInt32 = 24
    /// Mask of the node-local part of a handle.
    public static let localMask: UInt32 = 0x00ff_ffff

    /// The harbor (node) id this handle belongs to.
    public var harbor: UInt32 { rawValue >> Self.harborShift }

    /// `:0000000a`.
    public var description: String { Self.format(rawValue) }

    /// Formats a handle as `:%08x`.
    public static func format(_ handle: UInt32) -> String {
        let hex = String(handle, radix: 16)
        return ":" + String(repeating: "0", count: max(0, 8 - hex.count)) + hex
    }

    /// Parses `:0000000a` (the colon is required).
    public init?(parsing text: Substring) {
        guard text.first == ":", let value = UInt32(text.dropFirst(), radix: 16) else { return nil }
        self.rawValue = value
    }

    /// Handle order.
    public static func < (a: ServiceAddress, b: ServiceAddress) -> Bool { a.rawValue < b.rawValue }
}

/// Protocol ids, as Skynet's.
public enum ProtocolType: Int32, Sendable {
    /// Plain text (the logger's input).
    case text = 0
    /// A reply to a call, or a timer firing.
    case response = 1
    /// Skynet's multicast.
    case multicast = 2
    /// Client messages of a gate.
    case client = 3
    /// System messages.
    case system = 4
    /// Between nodes.
    case harbor = 5
    /// Socket events.
    case socket = 6
    /// A call failed (the callee raised or died).
    case error = 7
    /// Skynet's mqueue.
    case queue = 8
    /// The debug protocol (MEM, GC, RUN, ...): what the console and inject use.
    case debug = 9
    /// `skynet.send(addr, "lua", ...)`.
    case lua = 10
    /// Skynet's snax.
    case snax = 11
    /// Tracing.
    case trace = 12
}
