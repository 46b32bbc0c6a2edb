import Glibc
import Synchronization

/// The node's door for Swift code: a native service whose handle is the source of every message
/// the Swift API sends, and which turns RESPONSE / ERROR messages back into the awaiting
/// `call`s. Created on first use, so that it never takes one of the handles Skynet's boot order
/// gives out.
final class HostEndpoint: ServiceBody, @unchecked Sendable {
    private struct Pending {
        var sessions: [Int32: CheckedContinuation<[LuaValue], Error>] = [:]
        var lastSession: Int32 = 0
        var closed = false
    }

    private let pending = Locked(Pending())

    /// Registers a continuation and returns its session, or nil when the node has stopped.
    func register(_ continuation: CheckedContinuation<[LuaValue], Error>) -> Int32? {
        pending.withLock { p in
            if p.closed { return nil }
            p.lastSession = p.lastSession == Int32.max - 1 ? 1 : p.lastSession + 1
            p.sessions[p.lastSession] = continuation
            return p.lastSession
        }
    }

    /// Fails a pending call (e.g. the message could not be delivered).
    func fail(session: Int32, _ error: Error) {
        let c = pending.withLock { $0.sessions.removeValue(forKey: session) }
        c?.resume(throwing: error)
    }

    func dispatch(_ message: Message, in service: Service) {
        guard message.session != 0 else { return }
        let c = pending.withLock { $0.sessions.removeValue(forKey: message.session) }
        guard let c else { return }
        switch message.type {
        case ProtocolType.response.rawValue:
            do {
                let values =
                    try message.data.map {
                        try SkynetPack.unpack(UnsafeRawBufferPointer(start: $0, count: message.size))
                    } ?? []
                c.resume(returning: values)
            } catch {
                c.resume(throwing: SkyhostError.unsupportedValue("\(error)"))
            }
        case ProtocolType.error.rawValue:
            c.resume(throwing: SkyhostError.callFailed("\(ServiceAddress.format(message.source)) raised or died; see the node's log"))
        default:
            c.resume(throwing: SkyhostError.callFailed("unexpected message type \(message.type)"))
        }
    }

    /// Fails every call in flight: the node is stopping.
    func close(_ service: Service) {
        let waiting = pending.withLock { p -> [CheckedContinuation<[LuaValue], Error>] in
            p.closed = true
            defer { p.sessions.removeAll() }
            return Array(p.sessions.values)
        }
        for c in waiting { c.resume(throwing: SkyhostError.nodeStopped) }
    }
}
