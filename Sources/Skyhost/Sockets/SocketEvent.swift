import CSkyhostNative
import Glibc

/// What happened on a socket, numbered as Skynet's `SKYNET_SOCKET_TYPE_*` (the numbers
/// `skynet.socket` dispatches on; skyhost_native.h has them for the C modules that read these
/// messages).
enum SocketEventKind: Int32 {
    /// Bytes arrived: `ud` is their count, the data is the bytes.
    case data = 1
    /// A socket is open: a listener is bound (`ud` = port, data = ip), a connection is
    /// established (data = peer ip), or a socket was started (data = "start" / "transfer").
    case connect = 2
    /// The socket was closed, by its owner or by the peer (reported once).
    case close = 3
    /// A listener accepted a connection: `ud` is the new socket's id, data is "ip:port".
    case accept = 4
    /// Something failed (connect, start, read, write): data is the reason.
    case error = 5
    /// A UDP datagram: `ud` is the payload's size, the data the payload followed by the sender's
    /// `UDPAddress`.
    case udp = 6
    /// Bytes waiting to be written passed a threshold (`ud` = KiB), or drained again (`ud` = 0).
    case warning = 7
}

/// The payload of a `PTYPE_SOCKET` message, Skyhost's own layout (`struct skyhost_socket_event`
/// in skyhost_native.h), decoded by `skynet.socketdriver.unpack` and `skynet.netpack.filter`:
///
///     offset 0  kind  Int32 (native byte order)
///     offset 4  id    Int32
///     offset 8  ud    Int32
///     offset 12 data  (size - 12 bytes)
///
/// Messages come from source 0 with session 0, as Skynet's.
enum SocketEvent {
    static let headerSize = MemoryLayout<skyhost_socket_event>.size

    /// A message carrying one event; `bytes` is copied.
    static func message(_ kind: SocketEventKind, id: Int32, ud: Int32, bytes: UnsafeRawBufferPointer? = nil) -> Message {
        let count = bytes?.count ?? 0
        let size = headerSize + count
        let p = malloc(size)!
        p.storeBytes(of: kind.rawValue, toByteOffset: 0, as: Int32.self)
        p.storeBytes(of: id, toByteOffset: 4, as: Int32.self)
        p.storeBytes(of: ud, toByteOffset: 8, as: Int32.self)
        if count > 0, let base = bytes?.baseAddress {
            memcpy(p.advanced(by: headerSize), base, count)
        }
        return Message(source: 0, session: 0, type: ProtocolType.socket.rawValue, data: p, size: size)
    }

    /// A message whose data is a text.
    static func message(_ kind: SocketEventKind, id: Int32, ud: Int32, text: String) -> Message {
        var text = text
        return text.withUTF8 { message(kind, id: id, ud: ud, bytes: UnsafeRawBufferPointer($0)) }
    }

    /// The fields of a payload, or nil if it is too short to be one.
    static func decode(_ data: UnsafeRawPointer?, size: Int) -> (kind: Int32, id: Int32, ud: Int32, bytes: UnsafeRawBufferPointer)? {
        guard let data, size >= headerSize else { return nil }
        let kind = data.loadUnaligned(fromByteOffset: 0, as: Int32.self)
        let id = data.loadUnaligned(fromByteOffset: 4, as: Int32.self)
        let ud = data.loadUnaligned(fromByteOffset: 8, as: Int32.self)
        return (kind, id, ud, UnsafeRawBufferPointer(start: data.advanced(by: headerSize), count: size - headerSize))
    }
}
