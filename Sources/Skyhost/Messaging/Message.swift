import Glibc

/// One message in a mailbox. The payload is a `malloc`'d block owned by the message until it is
/// dispatched (then freed) or dropped (then freed).
package struct Message {
    /// The sender's handle (0 for the runtime: timers, the Swift API's deliveries).
    package var source: UInt32
    /// The session: 0 for a send, the caller's session for a request and its answer.
    package var session: Int32
    /// The protocol (`ProtocolType`'s raw value), or one of the runtime's own negative types.
    package var type: Int32
    /// The payload, or nil.
    package var data: UnsafeMutableRawPointer?
    /// The payload's size in bytes.
    package var size: Int

    /// A message; it owns `data` from now on.
    package init(source: UInt32, session: Int32, type: Int32, data: UnsafeMutableRawPointer?, size: Int) {
        self.source = source
        self.session = session
        self.type = type
        self.data = data
        self.size = size
    }

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
    package static func payload<C: Collection>(copying bytes: C) -> (UnsafeMutableRawPointer?, Int) where C.Element == UInt8 {
        let count = bytes.count
        guard count > 0, let p = malloc(count) else { return (nil, 0) }
        let buffer = UnsafeMutableRawBufferPointer(start: p, count: count)
        _ = buffer.initializeMemory(as: UInt8.self, from: bytes)
        return (p, count)
    }
}
