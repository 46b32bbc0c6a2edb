import Glibc

/// One message in a mailbox. The payload is a `malloc`'d block owned by the message until it is
/// dispatched (then freed) or dropped (then freed).
struct Message {
    var source: UInt32
    var session: Int32
    var type: Int32
    var data: UnsafeMutableRawPointer?
    var size: Int

    /// Frees the payload.
    func release() { free(data) }

    /// A message type the runtime uses internally to wake a service that must retire; never seen
    /// by Lua.
    static let retireType: Int32 = -1

    /// A message type the runtime sends a Lua service to have its collector switched to
    /// generational mode (see `LuaServiceBody`); never seen by Lua.
    static let collectorType: Int32 = -2
}

extension Message {
    /// A copy of `bytes` as a malloc'd payload (nil for an empty one).
    static func payload<C: Collection>(copying bytes: C) -> (UnsafeMutableRawPointer?, Int) where C.Element == UInt8 {
        let count = bytes.count
        guard count > 0, let p = malloc(count) else { return (nil, 0) }
        let buffer = UnsafeMutableRawBufferPointer(start: p, count: count)
        _ = buffer.initializeMemory(as: UInt8.self, from: bytes)
        return (p, count)
    }
}
