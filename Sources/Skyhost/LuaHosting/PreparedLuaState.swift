import CSkyhostNative
import Lua
import Synchronization

/// A Lua state made ready for a service but not yet bound to one: the standard libraries,
/// `skynet.core` and the native modules' preload entries, and the binding its native functions
/// use. Nothing service-specific: a `LuaServiceBody` binds it to its service.
struct PreparedLuaState {
    let state: LuaState
    let binding: UnsafeMutablePointer<skyhost_binding>
    let smallBlocks: SmallBlockPool

    /// Memory (bytes) at which a service is first reported as large; doubles after each report.
    static let memoryWarning = 32 << 20

    /// Makes a state for `node`; with `loadHotChunks`, loads the chunks of its most loaded files
    /// too (see `loadHotChunks(from:)`). The collector is then held for the loading
    /// (`skyhost_gc_hold`).
    init(node: Node, loadHotChunks: Bool = false) throws {
        smallBlocks = node.smallBlocks
        binding = .allocate(capacity: 1)
        binding.initialize(
            to: skyhost_binding(
                host: HostBridge.table,
                ctx: nil,
                handle: 0,
                memory: skyhost_memory(used: 0, limit: 0, warning: Self.memoryWarning, warned: 0, pool: smallBlocks.raw),
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
        if loadHotChunks { self.loadHotChunks(from: node.codeCache) }
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
            _ = skyhost_prepare_chunk(
                state.raw, file.path, &stamp, file.code.bytecode.baseAddress, file.code.bytecodeCount, file.code.checksum)
        }
    }

    /// Closes the state (one that no service took, or the retired service's).
    func discard() {
        state.close()  // before the binding its allocator uses goes away
        binding.deallocate()
    }
}

/// Lua states prepared ahead of launches by workers that have nothing else to do.
///
/// Creating a state and opening its libraries is a good part of what a launch costs, and it
/// happens while the launcher, and the caller of `newservice`, wait. A worker about to spin or
/// sleep for want of work prepares one instead (`prepareOne`), so a launch usually only binds a
/// ready state to the new service. A few are kept (`stock`); when none is ready, the launch makes
/// its own. Idle workers do this rather than a thread of its own, which, woken by each launch,
/// would take the core from the launch it is meant to speed up.
final class BlankStates: @unchecked Sendable {
    private let lock = Lock()
    private var ready: [PreparedLuaState] = []
    private var preparing = 0
    private var stopped = false
    /// `ready.count + preparing`, readable without the lock by workers looking for work.
    private let planned = Atomic<Int>(0)

    /// States kept ready.
    static let stock = 16

    /// Prepares one state for `node` if fewer than `stock` are ready or being prepared. Returns
    /// whether it did (so the caller, an idle worker, may look for work again first).
    func prepareOne(node: Node) -> Bool {
        guard planned.load(ordering: .relaxed) < Self.stock else { return false }
        let go: Bool = lock.withLock {
            guard !stopped, ready.count + preparing < Self.stock else { return false }
            preparing += 1
            planned.store(ready.count + preparing, ordering: .relaxed)
            return true
        }
        guard go else { return false }
        let made = try? PreparedLuaState(node: node, loadHotChunks: true)
        let kept: Bool = lock.withLock {
            preparing -= 1
            if let made, !stopped { ready.append(made) }
            planned.store(ready.count + preparing, ordering: .relaxed)
            return !stopped
        }
        if !kept { made?.discard() }
        return made != nil
    }

    /// A ready state, or nil if none is (the caller makes one).
    func take() -> PreparedLuaState? {
        lock.withLock {
            let taken = ready.popLast()
            planned.store(ready.count + preparing, ordering: .relaxed)
            return taken
        }
    }

    /// Closes the states nobody took; none is prepared after this. Once the workers are stopped.
    func stop() {
        let left: [PreparedLuaState] = lock.withLock {
            stopped = true
            let left = ready
            ready.removeAll()
            planned.store(Self.stock, ordering: .relaxed)
            return left
        }
        for prepared in left { prepared.discard() }
    }
}
