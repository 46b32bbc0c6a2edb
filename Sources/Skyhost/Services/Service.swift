import Synchronization

/// What runs a service's messages: a Lua state (`snlua`), or Swift code (the logger, the harbor,
/// the Swift API's services, the MySQL driver).
///
/// Only the worker that currently owns the service calls these, one at a time.
package protocol ServiceBody: AnyObject {
    /// Handles one message. The worker frees the payload afterwards.
    func dispatch(_ message: Message, in service: Service)
    /// Releases what the body holds (closes the Lua state). Called once, when the service retires.
    func close(_ service: Service)
}

extension ServiceBody {
    /// Nothing to release.
    package func close(_ service: Service) {}
}

/// A running service: a handle, a mailbox and a body.
package final class Service: @unchecked Sendable {
    /// The service's handle.
    package let handle: UInt32
    /// The node it belongs to.
    package let node: Node
    /// Its messages.
    let mailbox = Mailbox()
    /// How it was launched, e.g. `snlua serviceA` (as Skynet's launcher lists it).
    package let launchName: String

    // Owned by the worker running the service (one at a time), except `signalTarget`.

    /// What runs its messages (nil once the service has retired).
    package var body: ServiceBody? {
        didSet { signalTarget.withLock { $0 = body as? LuaServiceBody } }
    }
    /// The body, readable from any thread for `signal`; cleared before the body is closed.
    let signalTarget = Locked<LuaServiceBody?>(nil)
    var exitRequested = false
    /// The worker running the service now (nil when it is not running).
    var runningOn: WorkerActivity?
    private var lastSession: Int32 = 0
    private var commandResult: ContiguousArray<CChar> = []
    /// The reload in place under way, if any (see `ServiceReload`).
    var reload: ServiceReload?
    /// Sessions of a Lua state a reload replaced that were still pending: their answers are
    /// dropped when they come.
    var staleSessions: Set<Int32> = []
    /// The code each reload in place replaced, by the reload's patch id: what rolling that
    /// reload back starts again.
    var replacedCode: [Int: [String: CodeCache.Code]] = [:]
    var messagesDispatched: Int = 0
    var cpuNanoseconds: UInt64 = 0
    /// Set by `logon`: every message received is appended to a file (read by the owner).
    let messageLog = Locked<MessageLog?>(nil)
    /// Whether `messageLog` is set, checked on every message without taking the lock.
    let isLogging = Atomic<Bool>(false)

    /// Set by another service's `kill`; the owner retires the service at its next message.
    let killed = Atomic<Bool>(false)
    /// Monotonic time (ns) at which the current message started, 0 when idle; read by the monitor.
    let busySince = Atomic<UInt64>(0)
    /// Set by the monitor when one message runs too long (Skynet's "endless loop").
    let endless = Atomic<Bool>(false)

    /// A service with no body yet; `HandleTable.register` makes it with its handle.
    package init(handle: UInt32, node: Node, launchName: String) {
        self.handle = handle
        self.node = node
        self.launchName = launchName
    }

    /// Exits at the end of the current message (Skynet's EXIT): the handle is gone at once, so
    /// nothing new reaches the service; its owner then retires it.
    func requestExit() {
        exitRequested = true
        node.handles.retire(handle)
    }

    /// Closes the `logon` message log, if one is open.
    func stopMessageLog(by source: UInt32) {
        messageLog.withLock { log in
            isLogging.store(false, ordering: .releasing)
            log?.close(by: source)
            log = nil
        }
    }

    /// Detaches the body (so no signal can reach it any more) and closes it.
    func closeBody() {
        stopMessageLog(by: handle)
        let closing = body
        body = nil
        closing?.close(self)
    }

    /// A new session id: positive, wrapping before Int32.max.
    func nextSession() -> Int32 {
        lastSession = lastSession == Int32.max - 1 ? 1 : lastSession + 1
        return lastSession
    }

    /// Keeps a command's result alive until the next command and returns a C pointer to it.
    func storeCommandResult(_ result: String?) -> UnsafePointer<CChar>? {
        guard let result else { return nil }
        commandResult = ContiguousArray(result.utf8CString)
        return commandResult.withUnsafeBufferPointer { $0.baseAddress }
    }

    /// `:0000000a`.
    var address: String { ServiceAddress.format(handle) }
}
