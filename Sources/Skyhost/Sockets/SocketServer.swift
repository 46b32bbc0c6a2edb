import CSkyhostNative
import Glibc
import NIOCore
import NIOPosix
import Synchronization

/// Why a socket operation could not even start (the reason, as Skynet words it where it can).
struct SocketFailure: Error, CustomStringConvertible {
    let reason: String
    var description: String { reason }
}

/// A node's TCP and UDP sockets (UDP: SocketServer+UDP.swift), on one SwiftNIO event loop
/// thread (created at the first socket, stopped by `shutdown()`), with Skynet's semantics:
///
/// - every socket has an id (a per-node counter) and an owner service; what happens to it arrives
///   at the owner as a `PTYPE_SOCKET` message (see `SocketEvent`);
/// - a listener reports its address (`connect`, ud = port) as soon as it is bound, but accepts
///   nothing until its owner starts it;
/// - an accepted socket belongs to the listener's owner and reads nothing until a service starts
///   it; whoever calls `start` becomes the owner (that is how a socket moves to an agent);
/// - `close` stops reading at once, reports `close` to the owner, and lets what was written go
///   out before the connection closes; `shutdown` closes at once and drops unwritten data;
/// - the end of the peer's stream is reported once as `close`; the socket can still be written
///   until its owner closes it (half-close, as Skynet);
/// - a failure (connect refused, connection reset, a failed write) is reported as `error`, after
///   which the socket is dead: the owner must still `close`/`shutdown` it to free the id;
/// - sockets whose owner retires are closed (`closeAll(ownedBy:)`).
///
/// SwiftNIO reads what is left on a connection when the peer closes it, even with autoRead off;
/// the events of an accepted socket nobody has started yet are therefore held, and delivered
/// after the `connect` that `start` sends, in order.
///
/// Thread safety: every method can be called from any thread. The table of sockets is guarded
/// by one lock. Channel operations are never started while holding it, except enqueueing writes
/// (`EventLoop.execute` only queues), so that writes keep the order in which services issued
/// them; `start` delivers its events while holding it (a mailbox push), so that nothing the event
/// loop reports afterwards can overtake them.
final class SocketServer: Sendable {
    /// Write-buffer size at which the owner is first warned (doubles after each warning).
    static let warningSize = 1 << 20

    /// The table of sockets (internal for the UDP half in SocketServer+UDP.swift).
    let state = Locked(State())

    struct State {
        var group: MultiThreadedEventLoopGroup?
        var stopped = false
        var lastID: Int32 = 0
        var entries: [Int32: SocketEntry] = [:]
        weak var node: Node?

        mutating func reserveID() -> Int32 {
            repeat {
                lastID = lastID == Int32.max ? 1 : lastID + 1
            } while entries[lastID] != nil
            return lastID
        }

        /// The event loop group, created on first use; nil once stopped.
        mutating func eventLoopGroup(for node: Node) -> MultiThreadedEventLoopGroup? {
            guard !stopped else { return nil }
            if self.node == nil { self.node = node }
            if let group { return group }
            let created = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            group = created
            return created
        }
    }

    init() {}

    private var node: Node? { state.withLock { $0.node } }

    func deliver(_ message: Message, to owner: UInt32, node: Node?) {
        if let node {
            node.deliver(message, to: owner)
        } else {
            message.release()
        }
    }

    // MARK: Opening

    /// Binds a listening socket owned by `owner` and returns its id. The owner gets a `connect`
    /// event with the bound address (ud = the real port, data = the ip), as Skynet reports it.
    func listen(host: String, port: Int, backlog: Int, owner: UInt32, node: Node) -> Result<Int32, SocketFailure> {
        guard (0...65535).contains(port) else { return .failure(SocketFailure(reason: "Invalid port \(port)")) }
        let setup: (MultiThreadedEventLoopGroup, Int32)? = state.withLock { s in
            guard let group = s.eventLoopGroup(for: node) else { return nil }
            let id = s.reserveID()
            s.entries[id] = SocketEntry(id: id, kind: .listener, owner: owner)
            return (group, id)
        }
        guard let (group, id) = setup else { return .failure(SocketFailure(reason: "socket server stopped")) }

        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: Int32(clamping: max(backlog, 1)))
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            // Nothing is accepted until the owner starts the listener.
            .serverChannelOption(ChannelOptions.autoRead, value: false)
            // Nothing is read until some service starts the accepted socket.
            .childChannelOption(ChannelOptions.autoRead, value: false)
            .childChannelOption(ChannelOptions.allowRemoteHalfClosure, value: true)
            .childChannelOption(ChannelOptions.socketOption(.so_keepalive), value: 1)
            .childChannelInitializer { [self] child in adopt(child, listener: id) }
        let channel: Channel
        do {
            channel = try bootstrap.bind(host: host.isEmpty ? "0.0.0.0" : host, port: port).wait()
        } catch {
            state.withLock { _ = $0.entries.removeValue(forKey: id) }
            return .failure(SocketFailure(reason: Self.describe(error)))
        }
        let ip = channel.localAddress?.ipAddress ?? host
        let realPort = channel.localAddress?.port ?? port
        let kept: Bool = state.withLock { s in
            guard let e = s.entries[id] else { return false }
            e.channel = channel
            e.name = "\(ip):\(realPort)"
            return true
        }
        guard kept else {
            channel.close(promise: nil)
            return .failure(SocketFailure(reason: "socket server stopped"))
        }
        deliver(SocketEvent.message(.connect, id: id, ud: Int32(realPort), text: ip), to: owner, node: node)
        return .success(id)
    }

    /// A new stream socket of `owner` still opening (connecting, or binding a descriptor),
    /// started and reading once open; with the event loop group to open it on. Nil once the
    /// server has stopped.
    private func reserveOpening(owner: UInt32, node: Node, name: String = "") -> (MultiThreadedEventLoopGroup, Int32)? {
        state.withLock { s in
            guard let group = s.eventLoopGroup(for: node) else { return nil }
            let id = s.reserveID()
            let e = SocketEntry(id: id, kind: .stream, owner: owner)
            e.connecting = true
            e.started = true
            e.reading = true
            e.name = name
            s.entries[id] = e
            return (group, id)
        }
    }

    /// Starts connecting to `host:port` for `owner` and returns the new socket's id at once; the
    /// owner gets `connect` (data = the peer's ip) or `error` (data = the reason) later. Data
    /// sent before the connection is up waits for it.
    func connect(host: String, port: Int, owner: UInt32, node: Node) -> Result<Int32, SocketFailure> {
        guard (1...65535).contains(port) else { return .failure(SocketFailure(reason: "Invalid port")) }
        guard let (group, id) = reserveOpening(owner: owner, node: node) else {
            return .failure(SocketFailure(reason: "socket server stopped"))
        }
        ClientBootstrap(group: group)
            .channelOption(ChannelOptions.allowRemoteHalfClosure, value: true)
            .channelOption(ChannelOptions.socketOption(.so_keepalive), value: 1)
            .channelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(SocketStreamHandler(server: self, id: id, listener: nil))
                }
            }
            .connect(host: host, port: port)
            .whenComplete { [self] result in connectFinished(id, result) }
        return .success(id)
    }

    /// Reads an OS descriptor of the process (the console service's standard input) as a stream
    /// socket of `owner`: the id at once, then `connect` (or `error`) as for `connect`. The
    /// socket reads a duplicate of the descriptor, so closing it leaves the process's own open.
    func bind(descriptor: Int32, owner: UInt32, node: Node) -> Result<Int32, SocketFailure> {
        let copy = dup(descriptor)
        guard copy >= 0 else { return .failure(SocketFailure(reason: String(cString: strerror(errno)))) }
        guard let (group, id) = reserveOpening(owner: owner, node: node, name: "fd \(descriptor)") else {
            Glibc.close(copy)
            return .failure(SocketFailure(reason: "socket server stopped"))
        }
        if let reason = Self.unpollableReason(copy) {
            // SwiftNIO traps on a descriptor epoll refuses (a regular file, /dev/null): the
            // socket reports the error instead, as a connection that failed.
            Glibc.close(copy)
            connectFinished(id, .failure(SocketFailure(reason: "fd \(descriptor) cannot be read as a socket: \(reason)")))
            return .success(id)
        }
        NIOPipeBootstrap(group: group)
            .channelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(SocketStreamHandler(server: self, id: id, listener: nil))
                }
            }
            .takingOwnershipOfDescriptor(input: copy)
            .whenComplete { [self] result in connectFinished(id, result) }
        return .success(id)
    }

    /// Why epoll cannot watch `descriptor`, or nil when it can.
    private static func unpollableReason(_ descriptor: Int32) -> String? {
        let error = skyhost_descriptor_pollable(descriptor)
        return error == 0 ? nil : String(cString: strerror(error))
    }

    /// A listener accepted `child` (on the event loop): it gets an id and the listener's owner.
    private func adopt(_ child: Channel, listener: Int32) -> EventLoopFuture<Void> {
        let peer = child.remoteAddress.map { "\($0.ipAddress ?? "?"):\($0.port ?? 0)" } ?? "unknown"
        let newID: Int32? = state.withLock { s in
            guard !s.stopped, let l = s.entries[listener], l.kind == .listener else { return nil }
            let id = s.reserveID()
            let e = SocketEntry(id: id, kind: .stream, owner: l.owner)
            e.channel = child
            e.name = peer
            s.entries[id] = e
            l.accepted += 1
            l.rtime = s.node?.now() ?? 0
            return id
        }
        guard let newID else { return child.close() }
        do {
            try child.pipeline.syncOperations.addHandler(SocketStreamHandler(server: self, id: newID, listener: listener))
        } catch {
            state.withLock { _ = $0.entries.removeValue(forKey: newID) }
            return child.eventLoop.makeFailedFuture(error)
        }
        return child.eventLoop.makeSucceededVoidFuture()
    }

    private func connectFinished(_ id: Int32, _ result: Result<Channel, Error>) {
        switch result {
        case .success(let channel):
            let peer = channel.remoteAddress?.ipAddress ?? ""
            let outcome: (UInt32, Node?)? = state.withLock { s in
                guard let e = s.entries[id] else { return nil }
                e.channel = channel
                e.connecting = false
                if let remote = channel.remoteAddress { e.name = "\(remote.ipAddress ?? "?"):\(remote.port ?? 0)" }
                // Before any write a service issues from now on (they queue behind these).
                for buffer in e.pending { enqueueWrite(buffer, on: channel, entry: e) }
                e.pending = []
                return (e.owner, s.node)
            }
            guard let (owner, node) = outcome else {
                channel.close(promise: nil)  // closed while connecting
                return
            }
            deliver(SocketEvent.message(.connect, id: id, ud: 0, text: peer), to: owner, node: node)
        case .failure(let error):
            let target: (UInt32, Node?)? = state.withLock { s in
                guard let e = s.entries[id], !e.failed else { return nil }
                e.failed = true
                e.connecting = false
                e.pending = []
                e.wbuffer = 0
                return (e.owner, s.node)
            }
            if let (owner, node) = target {
                deliver(SocketEvent.message(.error, id: id, ud: 0, text: Self.describe(error)), to: owner, node: node)
            }
        }
    }

    // MARK: Control

    /// Makes `caller` the owner and lets the socket read (or, for a listener, accept). The new
    /// owner gets `connect` with "start" (first start) or "transfer", or `error` if the id is
    /// not an open socket.
    func start(_ id: Int32, caller: UInt32, node: Node) {
        enum Outcome {
            case invalid, closed, connecting
            case started(Channel?)
        }
        let outcome: Outcome = state.withLock { s in
            if s.node == nil { s.node = node }
            guard let e = s.entries[id], !(e.failed && e.started) else { return .invalid }
            e.owner = caller
            if e.closeReported && e.started { return .closed }
            if e.connecting { return .connecting }
            let what = e.started ? "transfer" : "start"
            e.started = true
            e.reading = !e.closeReported && !e.failed
            // Delivered under the lock, so that nothing the event loop reports from now on can
            // overtake them.
            node.deliver(SocketEvent.message(.connect, id: id, ud: 0, text: what), to: caller)
            for m in e.held { node.deliver(m, to: caller) }
            e.held = []
            return .started(e.reading ? e.channel : nil)
        }
        switch outcome {
        case .invalid:
            deliver(SocketEvent.message(.error, id: id, ud: 0, text: "invalid socket"), to: caller, node: node)
        case .closed:
            deliver(SocketEvent.message(.error, id: id, ud: 0, text: "socket closed"), to: caller, node: node)
        case .connecting:
            break
        case .started(let channel):
            channel?.setOption(ChannelOptions.autoRead, value: true).whenFailure { _ in }
        }
    }

    /// Stops reading until the next `start` (the data already read still arrives).
    func pause(_ id: Int32) {
        let channel: Channel? = state.withLock { s in
            guard let e = s.entries[id], e.kind == .stream else { return nil }
            e.reading = false
            return e.channel
        }
        channel?.setOption(ChannelOptions.autoRead, value: false).whenFailure { _ in }
    }

    /// Sets TCP_NODELAY.
    func nodelay(_ id: Int32) {
        let channel: Channel? = state.withLock { s in
            guard let e = s.entries[id], e.kind == .stream else { return nil }
            return e.channel
        }
        channel?.setOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1).whenFailure { _ in }
    }

    /// Closes a socket: the id is free at once, the owner gets `close` (unless the peer's close
    /// was already reported), and data already written goes out first unless `force`.
    func close(_ id: Int32, force: Bool) {
        let taken: (SocketEntry, Bool, Node?)? = state.withLock { s in
            guard let e = s.entries.removeValue(forKey: id) else { return nil }
            let report = !e.closeReported && !e.failed
            e.closeReported = true
            return (e, report, s.node)
        }
        guard let (entry, report, node) = taken else { return }
        if report {
            deliver(SocketEvent.message(.close, id: id, ud: 0), to: entry.owner, node: node)
        }
        Self.closeChannel(of: entry, force: force)
    }

    /// Closes, without telling anyone, every socket `owner` owns (it is retiring). Data already
    /// written still goes out.
    func closeAll(ownedBy owner: UInt32) {
        let taken: [SocketEntry] = state.withLock { s in
            let mine = s.entries.values.filter { $0.owner == owner }
            for e in mine { s.entries[e.id] = nil }
            return mine
        }
        for e in taken { Self.closeChannel(of: e, force: false) }
    }

    /// Closes every socket and stops the event loop thread. Later calls do nothing; later
    /// operations fail ("socket server stopped").
    func shutdown() {
        let (group, entries): (MultiThreadedEventLoopGroup?, [SocketEntry]) = state.withLock { s in
            s.stopped = true
            let all = Array(s.entries.values)
            s.entries = [:]
            let g = s.group
            s.group = nil
            return (g, all)
        }
        for e in entries {
            for m in e.held { m.release() }
            e.held = []
            e.channel?.close(promise: nil)
        }
        try? group?.syncShutdownGracefully()
    }

    private static func closeChannel(of entry: SocketEntry, force: Bool) {
        for m in entry.held { m.release() }
        entry.held = []
        guard let channel = entry.channel else { return }  // still connecting: dropped when it connects
        if !force, let last = entry.lastWrite {
            channel.setOption(ChannelOptions.autoRead, value: false).whenFailure { _ in }
            last.whenComplete { _ in channel.close(promise: nil) }
        } else {
            channel.close(promise: nil)
        }
    }

    // MARK: Writing

    /// Queues bytes for writing (a UDP socket: one datagram to its `udpConnect` address). Returns
    /// false if `id` is not an open stream socket or a connected UDP socket.
    func send(_ id: Int32, bytes: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count > 0 else { return state.withLock { $0.entries[id]?.kind == .stream } }
        let buffer = ByteBufferAllocator().buffer(bytes: bytes)
        return state.withLock { s in
            guard !s.stopped, let e = s.entries[id], !e.failed else { return false }
            if e.kind == .datagram {
                // socket.write on a UDP socket: to the address udp_connect gave it.
                guard let channel = e.channel, let peer = e.peer else { return false }
                e.writtenBytes += buffer.readableBytes
                channel.writeAndFlush(AddressedEnvelope(remoteAddress: peer, data: buffer), promise: nil)
                return true
            }
            guard e.kind == .stream else { return false }
            if e.connecting {
                e.pending.append(buffer)
                return true
            }
            guard let channel = e.channel else { return false }
            enqueueWrite(buffer, on: channel, entry: e)
            return true
        }
    }

    /// Queues a write on the channel's event loop. Called with the lock held, so that writes keep
    /// the order in which services issued them: it only enqueues. Writes issued before the event
    /// loop has taken the last ones join them (one wake-up of the event loop and one system call
    /// for a burst of small writes, as a service's coroutines answering one by one make). On the
    /// event loop, a write that does not complete at once counts as buffered (`wbuffer`,
    /// warnings) until it does.
    private func enqueueWrite(_ buffer: ByteBuffer, on channel: Channel, entry: SocketEntry) {
        if entry.outbox != nil {
            entry.outbox!.writeImmutableBuffer(buffer)
            return
        }
        entry.outbox = buffer
        let id = entry.id
        let loop = channel.eventLoop
        let promise = loop.makePromise(of: Void.self)
        entry.lastWrite = promise.futureResult
        loop.execute { [self] in
            // (the entry itself, not the table: a socket closed meanwhile still sends what was
            // written before the close)
            guard let bytes = state.withLock({ _ in entry.takeOutbox() }) else {
                promise.succeed()
                return
            }
            let count = bytes.readableBytes
            let progress = NIOLoopBoundBox((done: false, buffered: false), eventLoop: loop)
            promise.futureResult.whenComplete { [self] result in
                progress.value.done = true
                written(id, count, result, buffered: progress.value.buffered)
            }
            channel.writeAndFlush(bytes, promise: promise)
            if !progress.value.done {
                progress.value.buffered = true
                buffered(id, count)
            }
        }
    }

    /// A write is waiting in the channel: count it, and warn the owner past the threshold.
    private func buffered(_ id: Int32, _ count: Int) {
        let target: (UInt32, Node?, Int32)? = state.withLock { s in
            guard let e = s.entries[id], let kib = e.grow(by: count) else { return nil }
            return (e.owner, s.node, kib)
        }
        if let (owner, node, kib) = target {
            deliver(SocketEvent.message(.warning, id: id, ud: kib), to: owner, node: node)
        }
    }

    private func written(_ id: Int32, _ count: Int, _ result: Result<Void, Error>, buffered: Bool) {
        enum Outcome {
            case nothing
            case drained(UInt32, Node?)
            case failed(UInt32, Node?, Channel?)
        }
        let outcome: Outcome = state.withLock { s in
            guard let e = s.entries[id] else { return .nothing }
            if buffered { e.wbuffer = max(0, e.wbuffer - count) }
            switch result {
            case .success:
                e.writtenBytes += count
                e.wtime = s.node?.now() ?? 0
                if e.warned && e.wbuffer == 0 {
                    e.warned = false
                    e.warnAt = SocketServer.warningSize
                    return .drained(e.owner, s.node)
                }
                return .nothing
            case .failure:
                guard !e.failed, !e.closeReported else { return .nothing }
                e.failed = true
                return .failed(e.owner, s.node, e.channel)
            }
        }
        switch outcome {
        case .nothing:
            break
        case .drained(let owner, let node):
            deliver(SocketEvent.message(.warning, id: id, ud: 0), to: owner, node: node)
        case .failed(let owner, let node, let channel):
            if case .failure(let error) = result {
                deliver(SocketEvent.message(.error, id: id, ud: 0, text: Self.describe(error)), to: owner, node: node)
            }
            channel?.close(promise: nil)
        }
    }

    // MARK: Events from the event loop (SocketStreamHandler)

    /// An accepted socket is active: tell the listener's owner.
    func accepted(_ id: Int32, from listener: Int32) {
        let target: (UInt32, String, Node?)? = state.withLock { s in
            guard let e = s.entries[id] else { return nil }
            return (s.entries[listener]?.owner ?? e.owner, e.name, s.node)
        }
        guard let (owner, peer, node) = target else { return }
        deliver(SocketEvent.message(.accept, id: listener, ud: id, text: peer), to: owner, node: node)
    }

    func received(_ id: Int32, _ buffer: ByteBuffer) {
        let count = buffer.readableBytes
        guard count > 0 else { return }
        let message = buffer.withUnsafeReadableBytes { SocketEvent.message(.data, id: id, ud: Int32(clamping: count), bytes: $0) }
        let target: (UInt32, Node?)? = state.withLock { s in
            guard let e = s.entries[id], !e.failed else { return nil }
            e.readBytes += count
            e.rtime = s.node?.now() ?? 0
            if !e.started {
                e.held.append(message)
                return (0, nil)
            }
            return (e.owner, s.node)
        }
        guard let (owner, node) = target else {
            message.release()
            return
        }
        if owner != 0 { deliver(message, to: owner, node: node) }
    }

    /// The peer ended its stream, or the connection is gone: report `close` once.
    func peerClosed(_ id: Int32) {
        let target: (UInt32, Node?)? = state.withLock { s in
            guard let e = s.entries[id], !e.closeReported, !e.failed else { return nil }
            e.closeReported = true
            e.reading = false
            if !e.started {
                e.held.append(SocketEvent.message(.close, id: id, ud: 0))
                return nil
            }
            return (e.owner, s.node)
        }
        guard let (owner, node) = target else { return }
        deliver(SocketEvent.message(.close, id: id, ud: 0), to: owner, node: node)
    }

    func failed(_ id: Int32, _ error: Error) {
        let reason = Self.describe(error)
        let target: (UInt32, Node?)? = state.withLock { s in
            guard let e = s.entries[id], !e.failed, !e.closeReported else { return nil }
            e.failed = true
            e.reading = false
            if !e.started {
                e.held.append(SocketEvent.message(.error, id: id, ud: 0, text: reason))
                return nil
            }
            return (e.owner, s.node)
        }
        guard let (owner, node) = target else { return }
        deliver(SocketEvent.message(.error, id: id, ud: 0, text: reason), to: owner, node: node)
    }

    // MARK: Inspection

    /// One open socket, for `netstat` (Skynet's `socketdriver.info`).
    struct Info: Sendable {
        var id: Int32
        var owner: UInt32
        var type: String  // LISTEN, TCP, CLOSING
        var read: Int
        var write: Int
        var wbuffer: Int
        var rtime: UInt64
        var wtime: UInt64
        var reading: Bool
        var writing: Bool
        var name: String
    }

    func info() -> [Info] {
        state.withLock { s in
            s.entries.values.sorted { $0.id < $1.id }.map { e in
                let type: String
                switch e.kind {
                case .listener: type = "LISTEN"
                case .stream: type = e.closeReported || e.failed ? "CLOSING" : "TCP"
                case .datagram: type = "UDP"
                }
                return Info(
                    id: e.id, owner: e.owner, type: type,
                    read: e.kind == .listener ? e.accepted : e.readBytes, write: e.writtenBytes,
                    wbuffer: e.wbuffer, rtime: e.rtime, wtime: e.wtime,
                    reading: e.reading, writing: e.wbuffer > 0, name: e.name)
            }
        }
    }

    /// A short reason for an error, as `strerror` words it where there is an errno.
    static func describe(_ error: Error) -> String {
        if let io = error as? IOError {
            return String(cString: strerror(io.errnoCode))
        }
        if let connection = error as? NIOConnectionError {
            if let first = connection.connectionErrors.first {
                return describe(first.error)
            }
            if connection.dnsAError != nil || connection.dnsAAAAError != nil {
                return "cannot resolve \(connection.host)"
            }
            return "connect to \(connection.host):\(connection.port) failed"
        }
        if let channelError = error as? ChannelError {
            switch channelError {
            case .connectTimeout: return "Connection timed out"
            case .ioOnClosedChannel, .alreadyClosed, .outputClosed: return "socket closed"
            default: return "\(channelError)"
            }
        }
        if let unknown = error as? SocketAddressError.UnknownHost {
            return "cannot resolve \(unknown.host): \(unknown.errorDescription)"
        }
        if let address = error as? SocketAddressError {
            return "\(address)"
        }
        return "\(error)"
    }
}
