import CSkyhostNative
import Lua

/// A Lua state made ready for a service but not yet bound to one: the standard libraries,
/// `skynet.core` and the native modules' preload entries, and the binding its native functions
/// use. Nothing service-specific: a `LuaServiceBody` binds it to its service.
struct PreparedLuaState {
    let state: LuaState
    let binding: UnsafeMutablePointer<skyhost_binding>
    let smallBlocks: SmallBlockPool

    /// Memory (bytes) at which a service is first reported as large; doubles after each report.
    static let memoryWarning = 32 << 20

    /// Makes a state for `node`; with `hotChunks`, loads the chunks of its most loaded files too
    /// (see `loadHotChunks`). The collector is then held for the loading (`skyhost_gc_hold`).
    init(node: Node, hotChunks: CodeCache? = nil) throws {
        smallBlocks = node.smallBlocks
        binding = .allocate(capacity: 1)
        binding.initialize(to: skyhost_binding(
            host: HostBridge.table,
            ctx: nil,
            handle: 0,
            memory: skyhost_memory(used: 0, limit: 0, warning: Self.memoryWarning, peak: 0, warned: 0, pool: smallBlocks.raw),
            active: nil, trap: 0, profiling: 0))
        let memory = UnsafeMutableRawPointer(binding).advanced(by: MemoryLayout<skyhost_binding>.offset(of: \skyhost_binding.memory)!)
        do {
            state = try LuaState(allocator: skyhost_alloc, userData: memory)
        } catch {
            binding.deallocate()
            throw error
        }
        do {
            try state.check(skyhost_open_core(state.raw, binding))
            try state.check(node.nativeModules.preload(into: state.raw))
        } catch {
            discard()
            throw error
        }
        if let hotChunks { loadHotChunks(from: hotChunks) }
        skyhost_gc_hold(state.raw)
    }

    /// Files whose chunks a state made ahead of a launch loads in advance.
    static let chunksAhead = 8

    /// Loads (without running them) the chunks of the node's most loaded files, so that the
    /// service's loads of them, if the files are still unchanged, skip undumping them (see
    /// skyhost_prepare_chunk). Only for states made ahead: it costs the launch nothing.
    private func loadHotChunks(from cache: CodeCache) {
        for file in cache.hot(limit: Self.chunksAhead) {
            var stamp = file.stamp
            _ = skyhost_prepare_chunk(state.raw, file.path, &stamp, file.code.bytecode.baseAddress, file.code.bytecodeCount)
        }
    }

    /// Closes a state that no service took.
    func discard() {
        state.close()  // before the binding its allocator uses goes away
        binding.deallocate()
    }
}

/// Lua states prepared ahead of launches on a thread of the node's own.
///
/// Creating a state and opening its libraries is a good part of what a launch costs, and it
/// happens while the launcher, and the caller of `newservice`, wait. Made ahead, on a core that
/// would otherwise spin idle, a launch only binds a ready state to the new service. A few are
/// kept (`stock`); when none is ready, the launch makes its own as before.
final class BlankStates: @unchecked Sendable {
    private let lock = ConditionLock()
    private var ready: [PreparedLuaState] = []
    private var stopped = false
    private var thread: WorkerThread?

    /// States kept ready.
    static let stock = 4

    /// Starts the thread that keeps `stock` states ready for `node`.
    func start(node: Node) {
        thread = WorkerThread(name: "skyhost-states") { [self, unowned node] in
            node.smallBlocks.attachCurrentThread()
            defer { SmallBlockPool.detachCurrentThread() }
            while true {
                let more: Bool = lock.withLock {
                    while !stopped && ready.count >= Self.stock { lock.wait() }
                    return !stopped
                }
                guard more, let made = try? PreparedLuaState(node: node, hotChunks: node.codeCache) else { return }
                let keep: Bool = lock.withLock {
                    if stopped { return false }
                    ready.append(made)
                    return true
                }
                if !keep { made.discard() }
            }
        }
    }

    /// A ready state, or nil if none is (the caller makes one).
    func take() -> PreparedLuaState? {
        lock.lock()
        let taken = ready.popLast()
        lock.unlock()
        lock.signal()
        return taken
    }

    /// Stops the thread and closes the states nobody took.
    func stop() {
        let left: [PreparedLuaState] = lock.withLock {
            stopped = true
            let left = ready
            ready.removeAll()
            return left
        }
        lock.broadcast()
        thread?.join()
        thread = nil
        for prepared in left { prepared.discard() }
    }
}
