import Foundation
import Synchronization

/// A Skyhost node: services, their mailboxes, the workers that run them, the timer and the
/// logger. Several nodes can live in one process; nothing is shared between them.
public final class Node: @unchecked Sendable {
    /// The configuration the node was made with.
    public let configuration: NodeConfiguration
    let output: NodeOutput
    /// The node's services, by handle and by name.
    package let handles: HandleTable
    let scheduler = Scheduler()
    private(set) var timer: TimerQueue!
    private let environment: Locked<[String: String]>
    let startNanoseconds = monotonicNanoseconds()
    /// The wall clock when the node started, in centiseconds since 1970.
    private let startWallCentiseconds = UInt64(Date().timeIntervalSince1970 * 100)
    /// Seconds since 1970 at start (Skynet's `starttime`).
    var startTime: Int { Int(startWallCentiseconds / 100) }
    private let stateLock = ConditionLock()
    private var phase = Phase.created
    private var exitStatus: Int32 = 0
    private var loggerHandle: UInt32 = 0
    private var bootstrapName = ""
    private var bootFinished = false
    private let monitor: Monitor
    private let endpoint = Locked<(Service, HostEndpoint)?>(nil)
    /// Compiled code shared by the node's Lua services, validated on every load (the file's bytes,
    /// or its settled stat stamp).
    let codeCache = CodeCache()
    /// Where the services' Lua heaps take their small blocks from.
    let smallBlocks = SmallBlockPool()
    /// Lua states made ahead of launches by idle workers.
    let blankStates = BlankStates()
    /// Modules written in Swift that every Lua service can `require`.
    let nativeModules: NativeModuleTable
    /// Skyhost's own `lualib/` folder, where the runtime's Lua files are (`isRuntimeFile`).
    let runtimeLualib: String
    /// The node's TCP sockets (SwiftNIO; the event loop thread starts with the first socket).
    let sockets = SocketServer()

    private enum Phase { case created, running, stopping, stopped }

    /// Creates a node; nothing runs until `start()`.
    public init(configuration: NodeConfiguration, output: NodeOutput = .standard) {
        self.configuration = configuration
        self.output = output
        handles = HandleTable(harbor: configuration.harbor)
        environment = Locked(configuration.resolvedEnvironment())
        let interval = UInt64(configuration.environment["monitor_interval"] ?? "") ?? 500
        monitor = Monitor(intervalNanoseconds: max(1, interval) * 10_000_000)
        nativeModules = NativeModuleTable(NativeModule.builtIn + configuration.nativeModules)
        runtimeLualib = configuration.root + "/lualib/"
        timer = TimerQueue(fire: { [unowned self] handle, session in
            self.deliver(Message(source: 0, session: session, type: ProtocolType.response.rawValue, data: nil, size: 0), to: handle)
        })
    }

    /// Starts the workers, the timer, the logger (`:00000001`) and the bootstrap service
    /// (`:00000002`), which launches the rest as Skynet does, and returns once the bootstrap has
    /// finished: `.launcher` and the other system services are up and the start service's start
    /// function has returned, or once the node has stopped if a service called `skynet.abort()`
    /// during boot. Throws `bootstrapFailed` when the node fails during boot (the start service is
    /// missing or raised); `wait()` then gives the exit status.
    public func start() throws {
        try stateLock.withLock {
            guard phase == .created else { throw SkyhostError.alreadyStarted }
            phase = .running
        }
        let logger = try LoggerService(output: output, path: getenv("logger"))
        let loggerService = handles.register { Service(handle: $0, node: self, launchName: "logger") }
        loggerService.body = logger
        loggerHandle = loggerService.handle
        _ = bind(name: "logger", to: loggerService.handle)
        for note in configuration.substitutions() { log(source: 0, note) }

        timer.start()
        let activities = (0..<configuration.threadCount).map { _ in WorkerActivity() }
        scheduler.start(
            workers: activities,
            idleWork: { [unowned self] in blankStates.prepareOne(node: self) },
            body: { [unowned self] i in self.workerLoop(i, activities[i]) }
        )
        monitor.start(workers: activities, node: self)

        let bootstrap = getenv("bootstrap") ?? "snlua bootstrap"
        stateLock.withLock { bootstrapName = bootstrap }
        guard launch(bootstrap) != nil else {
            shutdown()
            throw SkyhostError.bootstrapFailed("cannot launch \(bootstrap)")
        }
        let booted = stateLock.withLock {
            while !bootFinished && phase == .running { stateLock.wait() }
            return bootFinished
        }
        if !booted {
            // Stopped during boot: a failure unless a service deliberately aborted (status 0).
            let status = wait()
            if status != 0 {
                throw SkyhostError.bootstrapFailed("the node stopped while booting (exit status \(status)); see the log")
            }
        }
    }

    /// Blocks until the node stops (`skynet.abort()`, or `shutdown()` from another thread) and
    /// returns its exit status: 0, or 1 when it was aborted because of a failure at start-up.
    @discardableResult
    public func wait() -> Int32 {
        stateLock.withLock {
            while phase != .stopped { stateLock.wait() }
            return exitStatus
        }
    }

    /// Stops the node: every service is retired (its Lua state closed), the workers and the
    /// timer stop. Safe to call more than once and from any thread but a worker's.
    public func shutdown() {
        let proceed: Bool = stateLock.withLock {
            guard phase == .running || phase == .created else { return false }
            phase = .stopping
            stateLock.broadcast()
            return true
        }
        guard proceed else {
            _ = wait()
            return
        }
        monitor.stop()
        // A worker leaves once the message it runs returns; one that never returns (an endless
        // loop) would keep shutdown waiting for ever, so after a grace period the services still
        // busy are interrupted, as the console's `signal` does.
        let interrupter = BusyServiceInterrupter(handles: handles)
        scheduler.stop()
        interrupter.finish()
        timer.stop()
        blankStates.stop()
        sockets.shutdown()
        // The workers are stopped, so this thread may run the logger: what services logged just
        // before the end (an abort's reason, a benchmark's last figures) is not lost.
        if let logger = handles.lookup(loggerHandle) {
            for m in logger.mailbox.close() {
                logger.body?.dispatch(m, in: logger)
                m.release()
            }
        }
        for service in handles.all() {
            handles.retire(service.handle)
            for m in service.mailbox.close() { m.release() }
            service.closeBody()
        }
        for m in handles.takeHeld() { m.release() }
        // The Swift API's endpoint service holds the node: let both go.
        endpoint.withLock { $0 = nil }
        stateLock.withLock {
            phase = .stopped
            stateLock.broadcast()
        }
    }

    /// Asks the node to stop from inside (a worker): `skynet.abort()`.
    func abort(status: Int32 = 0) {
        stateLock.withLock { if exitStatus == 0 { exitStatus = status } }
        Thread.detachNewThread { [self] in shutdown() }
    }

    /// True between `start()` and the beginning of `shutdown()`.
    public var isRunning: Bool { stateLock.withLock { phase == .running } }

    /// The Swift API's endpoint service, made on first use (after boot, so that it never takes
    /// one of the handles of Skynet's boot order).
    func hostEndpointAndBody() throws -> (Service, HostEndpoint) {
        try endpoint.withLock { existing in
            if let existing { return existing }
            guard isRunning else { throw SkyhostError.nodeStopped }
            let body = HostEndpoint()
            let service = handles.register { Service(handle: $0, node: self, launchName: "swift host") }
            service.body = body
            existing = (service, body)
            return (service, body)
        }
    }

    /// Skynet's `skynet.now()`: centiseconds since the start of the second in which the node
    /// started, so that `starttime + now / 100` is the wall clock (`skynet.time()`).
    func now() -> UInt64 {
        startWallCentiseconds % 100 + (monotonicNanoseconds() - startNanoseconds) / 10_000_000
    }

    // MARK: Environment

    /// `skynet.getenv`.
    public func getenv(_ key: String) -> String? { environment.withLock { $0[key] } }

    /// `skynet.setenv`.
    public func setenv(_ key: String, _ value: String) { environment.withLock { $0[key] = value } }

    // MARK: Messages

    /// Puts a message in a service's mailbox. Returns false (and frees the payload) when the
    /// destination does not exist. A message sent by a running service (`sender`) that makes its
    /// destination ready puts it in the sender's worker's `next` slot (see `WorkerActivity`).
    @discardableResult
    package func deliver(_ message: Message, to handle: UInt32, from sender: Service? = nil) -> Bool {
        guard let target = handles.lookup(handle) else {
            message.release()
            return false
        }
        return deliver(message, to: target, from: sender)
    }

    @discardableResult
    func deliver(_ message: Message, to target: Service, from sender: Service? = nil) -> Bool {
        switch target.mailbox.push(message) {
        case .schedule:
            if let worker = sender?.runningOn, worker.offerNext(target) { return true }
            scheduler.schedule(target)
            return true
        case .queued:
            return true
        case .closed:
            message.release()
            return false
        }
    }

    /// Sends `message` to a service named `:0000000a`, `.name` or by a global name (Skynet's
    /// `skynet_sendname`). A message to a global name that no service has yet is held until one
    /// takes it; a message to an unknown address or `.name` is released and false returned.
    func deliver(_ message: Message, toName name: String, from sender: Service?) -> Bool {
        guard let first = name.first, first != ":" && first != "." else {
            guard let handle = resolve(name) else {
                message.release()
                return false
            }
            return deliver(message, to: handle, from: sender)
        }
        switch handles.handle(named: name, orHold: message) {
        case .bound(let handle):
            return deliver(message, to: handle, from: sender)
        case .held:
            return true
        }
    }

    /// Binds `name` to the service `handle` (false if the name is taken or the service gone),
    /// and hands it the messages held for the name.
    func bind(name: String, to handle: UInt32) -> Bool {
        handles.bind(name: name, to: handle) { message, service in deliver(message, to: service) }
    }

    /// Resolves `.name`, `:0000000a` or a global name.
    func resolve(_ name: String) -> UInt32? {
        if name.first == ":" { return ServiceAddress(parsing: Substring(name))?.rawValue }
        return handles.handle(named: name)
    }

    /// Writes a log line as the logger does, from `source`.
    package func log(source: UInt32, _ text: String) {
        let (data, size) = Message.payload(copying: Array(text.utf8))
        let m = Message(source: source, session: 0, type: ProtocolType.text.rawValue, data: data, size: size)
        if !deliver(m, to: loggerHandle) {
            output.log("[\(ServiceAddress.format(source))] \(text)")
        }
    }

    // MARK: Services

    /// Launches a service from a Skynet launch string, `snlua serviceA arg1 arg2` (or a native
    /// module: `logger`, `harbor`). Returns the new handle, or nil (the reason is logged).
    func launch(_ command: String, from source: UInt32 = 0) -> UInt32? {
        let words = command.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard let module = words.first else { return nil }
        let args = words.count > 1 ? String(words[1]) : ""
        let launchName = args.isEmpty ? String(module) : "\(module) \(args)"
        switch module {
        case "snlua":
            let service = handles.register { Service(handle: $0, node: self, launchName: launchName) }
            do {
                service.body = try newLuaBody(for: service, prepared: blankStates.take())
            } catch {
                handles.retire(service.handle)
                log(source: source, "launch \(launchName) failed: \(error)")
                return nil
            }
            log(source: service.handle, "LAUNCH \(launchName)")
            // Like snlua, the service initialises itself when it handles its first message.
            let (data, size) = Message.payload(copying: Array(args.utf8))
            deliver(Message(source: service.handle, session: 0, type: ProtocolType.text.rawValue, data: data, size: size), to: service)
            return service.handle
        case "harbor":
            let service = handles.register { Service(handle: $0, node: self, launchName: launchName) }
            service.body = HarborService()
            log(source: service.handle, "LAUNCH \(launchName)")
            return service.handle
        default:
            log(source: source, "launch \(launchName) failed: unknown service module \(module)")
            return nil
        }
    }

    /// A Lua state for `service` with the node's environment as it is now (a launch, or the
    /// new state of a reload in place).
    func newLuaBody(for service: Service, prepared: PreparedLuaState?) throws -> LuaServiceBody {
        try LuaServiceBody(service: service, environment: environment.withLock { $0 }, prepared: prepared)
    }

    /// Removes a service from the handle table and retires it: now if it is idle, else through
    /// the worker that owns it. Returns false if there was no such service.
    @discardableResult
    func kill(_ handle: UInt32) -> Bool {
        guard let service = handles.retire(handle) else { return false }
        service.killed.store(true, ordering: .releasing)
        // An idle service is retired here and now (its Lua state closed on this thread), as
        // Skynet releases an idle service in the thread that kills it: the memory comes back at
        // once, and no worker has to come back to it later.
        if service.mailbox.claimIfIdle() {
            retire(service)
            return true
        }
        // A busy one: an empty wake-up message gets it scheduled so that a worker retires it.
        _ = deliver(Message(source: 0, session: 0, type: Message.retireType, data: nil, size: 0), to: service)
        return true
    }

    /// Answers with an ERROR a request (a message with a session) to a native service that has
    /// no answers (the logger, the harbor), so that the caller fails instead of waiting for ever.
    func refuseRequest(_ m: Message, at service: Service) {
        guard m.session > 0, m.source != 0, m.type != ProtocolType.response.rawValue,
            m.type != ProtocolType.error.rawValue
        else { return }
        deliver(Message(source: service.handle, session: m.session, type: ProtocolType.error.rawValue, data: nil, size: 0), to: m.source)
    }

    /// Retires a service on its owning worker: gone from the handle table, queued messages
    /// bounced, Lua state closed.
    func retire(_ service: Service) {
        handles.retire(service.handle)
        stateLock.withLock {
            if !bootFinished && service.launchName == bootstrapName {
                bootFinished = true
                stateLock.broadcast()
            }
        }
        sockets.closeAll(ownedBy: service.handle)
        for m in service.mailbox.close() { bounce(m, from: service) }
        abandonReload(of: service)
        service.closeBody()
    }
}
