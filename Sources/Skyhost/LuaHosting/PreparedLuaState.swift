import CSkyhostNative
import Lua

/// A Lua state made ready for a service but not yet bound to one: the standard libraries,
/// `skynet.core` and the native modules' searcher, and the binding its native functions
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
                memory: skyhost_memory(used: 0, blocks: 0, limit: 0, warning: Self.memoryWarning, warned: 0, pool: smallBlocks.raw),
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
            try state.check(node.nativeModules.install(into: state.raw))
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
