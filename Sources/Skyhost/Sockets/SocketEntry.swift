import NIOCore

/// One socket's record. Every field is guarded by the `SocketServer`'s lock.
final class SocketEntry: @unchecked Sendable {
    enum Kind { case listener, stream, datagram }

    let id: Int32
    let kind: Kind
    var owner: UInt32
    var channel: Channel?
    var connecting = false
    /// Writes issued while connecting.
    var pending: [ByteBuffer] = []
    /// Events of an accepted socket that nobody has started yet (SwiftNIO reads what is left
    /// when the peer closes, even with autoRead off); delivered, in order, at `start`.
    var held: [Message] = []
    var started = false
    var reading = false
    var closeReported = false
    var failed = false
    /// Completes when the last write issued so far has been written (or failed).
    var lastWrite: EventLoopFuture<Void>?
    /// Bytes written by services that the event loop has not taken yet (one flush is queued for
    /// them on the event loop while this is not nil).
    var outbox: ByteBuffer?
    var wbuffer = 0
    var warnAt = SocketServer.warningSize
    var warned = false
    var readBytes = 0
    var writtenBytes = 0
    var accepted = 0
    var rtime: UInt64 = 0
    var wtime: UInt64 = 0
    /// A listener's local "ip:port", a stream's peer "ip:port".
    var name = ""
    /// Where `send` writes on a UDP socket (set by udp_connect / udp_dial).
    var peer: SocketAddress?

    init(id: Int32, kind: Kind, owner: UInt32) {
        self.id = id
        self.kind = kind
        self.owner = owner
    }

    /// The bytes waiting for the event loop, which then has none queued.
    func takeOutbox() -> ByteBuffer? {
        defer { outbox = nil }
        return outbox
    }

    /// Counts bytes waiting to be written; returns the KiB to warn about when it passes the
    /// threshold (which then doubles).
    func grow(by count: Int) -> Int32? {
        wbuffer += count
        guard wbuffer >= warnAt else { return nil }
        warned = true
        warnAt *= 2
        return Int32(clamping: (wbuffer + 1023) / 1024)
    }
}
