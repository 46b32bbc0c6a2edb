import NIOCore
import NIOPosix

/// UDP sockets, as Skynet's: a socket reads from the moment it exists (no `start`), every
/// datagram reaches the owner as one `udp` event whose data is the payload followed by the
/// sender's `UDPAddress`, `sendto` writes to such an address, and `send` (socket.write) writes
/// to the address `udpConnect` gave the socket.
extension SocketServer {
    /// A UDP socket of `owner` bound to `host:port` (nil host: any IPv4 address, port 0: a free
    /// port), and `peer` as its default destination if given.
    func udp(host: String?, port: Int, peer: SocketAddress? = nil, owner: UInt32, node: Node) -> Result<Int32, SocketFailure> {
        guard (0...65535).contains(port) else { return .failure(SocketFailure(reason: "Invalid port \(port)")) }
        let setup: (MultiThreadedEventLoopGroup, Int32)? = state.withLock { s in
            guard let group = s.eventLoopGroup(for: node) else { return nil }
            let id = s.reserveID()
            let e = SocketEntry(id: id, kind: .datagram, owner: owner)
            e.started = true
            e.reading = true
            e.peer = peer
            s.entries[id] = e
            return (group, id)
        }
        guard let (group, id) = setup else { return .failure(SocketFailure(reason: "socket server stopped")) }
        let bootstrap = DatagramBootstrap(group: group)
            .channelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(SocketDatagramHandler(server: self, id: id))
                }
            }
        let channel: Channel
        do {
            channel = try bootstrap.bind(host: host ?? Self.anyAddress(for: peer), port: port).wait()
        } catch {
            state.withLock { _ = $0.entries.removeValue(forKey: id) }
            return .failure(SocketFailure(reason: Self.describe(error)))
        }
        let kept: Bool = state.withLock { s in
            guard let e = s.entries[id] else { return false }
            e.channel = channel
            e.name = channel.localAddress.map { "\($0.ipAddress ?? "?"):\($0.port ?? 0)" } ?? ""
            return true
        }
        guard kept else {
            channel.close(promise: nil)
            return .failure(SocketFailure(reason: "socket server stopped"))
        }
        return .success(id)
    }

    /// Makes `host:port` the destination of `send` on the UDP socket `id`. Fails if `id` is no
    /// UDP socket or the host cannot be resolved.
    func udpConnect(_ id: Int32, host: String, port: Int) -> Result<Void, SocketFailure> {
        let peer: SocketAddress
        do {
            peer = try Self.resolveUDP(host: host, port: port)
        } catch {
            return .failure(error)
        }
        return state.withLock { s in
            guard let e = s.entries[id], e.kind == .datagram else {
                return .failure(SocketFailure(reason: "not a UDP socket"))
            }
            e.peer = peer
            return .success(())
        }
    }

    /// The address of `host:port` for a UDP socket (resolving a name, blocking, as Skynet does).
    static func resolveUDP(host: String, port: Int) throws(SocketFailure) -> SocketAddress {
        guard (0...65535).contains(port) else { throw SocketFailure(reason: "Invalid port \(port)") }
        do {
            return try SocketAddress.makeAddressResolvingHost(host, port: port)
        } catch {
            throw SocketFailure(reason: "cannot resolve \(host)")
        }
    }

    /// The wildcard address of the family of `peer` (IPv4 without one).
    static func anyAddress(for peer: SocketAddress?) -> String {
        if case .v6 = peer { return "::" }
        return "0.0.0.0"
    }

    /// Sends one datagram from the UDP socket `id` to `address` (a `UDPAddress`). False if `id`
    /// is no UDP socket or the address is malformed.
    func udpSend(_ id: Int32, to address: [UInt8], bytes: UnsafeRawBufferPointer) -> Bool {
        guard let peer = UDPAddress.decode(address) else { return false }
        let buffer = ByteBufferAllocator().buffer(bytes: bytes)
        return state.withLock { s in
            guard !s.stopped, let e = s.entries[id], e.kind == .datagram, let channel = e.channel else { return false }
            e.writtenBytes += bytes.count
            e.wtime = s.node?.now() ?? 0
            channel.writeAndFlush(AddressedEnvelope(remoteAddress: peer, data: buffer), promise: nil)
            return true
        }
    }

    /// A datagram arrived on `id` (on the event loop): the owner gets a `udp` event.
    func received(_ id: Int32, datagram: AddressedEnvelope<ByteBuffer>) {
        guard let from = UDPAddress.encode(datagram.remoteAddress) else { return }
        let count = datagram.data.readableBytes
        var bytes = [UInt8](repeating: 0, count: count + from.count)
        datagram.data.withUnsafeReadableBytes { payload in
            bytes.withUnsafeMutableBytes { $0.copyMemory(from: payload) }
        }
        bytes.replaceSubrange(count..., with: from)
        let target: (UInt32, Node?)? = state.withLock { s in
            guard let e = s.entries[id] else { return nil }
            e.readBytes += count
            e.rtime = s.node?.now() ?? 0
            return (e.owner, s.node)
        }
        guard let (owner, node) = target else { return }
        let message = bytes.withUnsafeBytes { SocketEvent.message(.udp, id: id, ud: Int32(clamping: count), bytes: $0) }
        deliver(message, to: owner, node: node)
    }
}
