import CLua
import Lua

/// `skynet.memory`: what the node's Lua services hold, as Skynet's lualib-src/lua-memory.c reports
/// what its malloc hook counted. Skyhost counts each service's Lua heap (the blocks its allocator
/// gave the state), which is what Skynet's per-service figures are made of.
///
///     total() -> bytes of every Lua service's heap     block() -> their blocks
///     info() -> { [handle] = bytes }                     current() -> this service's bytes
///     dump()  logs "dump all service mem:", ":%08x -> Nkb Mb" per service, "+total: Nkb"
///     dumpinfo(), jestat(), mallctl(name), dumpheap(), profactive([on])
///         jemalloc's statistics and controls: Skyhost uses mimalloc, so they log "No jemalloc"
///         (as Skynet built without jemalloc does) and answer 0 / false / zeros.
enum MemoryModule {
    static let module = NativeModule(name: "skynet.memory") { state, service in open(state, service) }

    private typealias Body = (LuaState, Service) -> Int32

    private static func open(_ state: LuaState, _ service: Service) -> Int32 {
        let functions: [(String, Body)] = [
            ("total", total), ("block", block), ("info", info), ("current", current), ("dump", dump),
            ("dumpinfo", dumpInfo), ("jestat", jeStat), ("mallctl", mallctl), ("dumpheap", dumpHeap),
            ("profactive", profActive),
        ]
        do {
            try state.pushModule(functions.map { name, body in (name, { L in body(LuaState(borrowing: L), service) }) })
            return 1
        } catch {
            return state.raise("cannot open skynet.memory: \(error)")
        }
    }

    /// (handle, bytes, blocks) of every live Lua service, in handle order.
    private static func heaps(_ node: Node) -> [(UInt32, Int, Int)] {
        node.handles.all().compactMap { s in
            s.signalTarget.withLock { body in body.map { (s.handle, $0.memoryUsed, $0.memoryBlocks) } }
        }.sorted { $0.0 < $1.0 }
    }

    private static func total(_ state: LuaState, _ service: Service) -> Int32 {
        lua_pushinteger(state.raw, lua_Integer(heaps(service.node).reduce(0) { $0 + $1.1 }))
        return 1
    }

    private static func block(_ state: LuaState, _ service: Service) -> Int32 {
        lua_pushinteger(state.raw, lua_Integer(heaps(service.node).reduce(0) { $0 + $1.2 }))
        return 1
    }

    private static func info(_ state: LuaState, _ service: Service) -> Int32 {
        let all = heaps(service.node)
        lua_createtable(state.raw, 0, Int32(all.count))
        for (handle, bytes, _) in all {
            lua_pushinteger(state.raw, lua_Integer(bytes))
            lua_rawseti(state.raw, -2, lua_Integer(handle))
        }
        return 1
    }

    private static func current(_ state: LuaState, _ service: Service) -> Int32 {
        lua_pushinteger(state.raw, lua_Integer(service.signalTarget.withLock { $0?.memoryUsed ?? 0 }))
        return 1
    }

    private static func dump(_ state: LuaState, _ service: Service) -> Int32 {
        let node = service.node
        node.log(source: 0, "dump all service mem:")
        var sum = 0
        for (handle, bytes, _) in heaps(node) where bytes > 0 {
            sum += bytes
            node.log(source: 0, "\(ServiceAddress.format(handle)) -> \(bytes >> 10)kb \(bytes % 1024)b")
        }
        node.log(source: 0, "+total: \(sum >> 10)kb")
        return 0
    }

    private static func noJemalloc(_ service: Service, _ what: String) {
        service.node.log(source: 0, what.isEmpty ? "No jemalloc" : "No jemalloc : \(what).")
    }

    private static func dumpInfo(_ state: LuaState, _ service: Service) -> Int32 {
        noJemalloc(service, "")
        return 0
    }

    private static func jeStat(_ state: LuaState, _ service: Service) -> Int32 {
        noJemalloc(service, "mallctl_int64 epoch")
        let names = ["stats.allocated", "stats.resident", "stats.retained", "stats.mapped", "stats.active"]
        lua_createtable(state.raw, 0, Int32(names.count))
        for name in names {
            noJemalloc(service, "mallctl_int64 \(name)")
            lua_pushinteger(state.raw, 0)
            lua_setfield(state.raw, -2, name)
        }
        return 1
    }

    private static func mallctl(_ state: LuaState, _ service: Service) -> Int32 {
        guard let name = state.stringArgument(1, "mallctl") else { return -1 }
        noJemalloc(service, "mallctl_int64 \(String(decoding: name, as: UTF8.self))")
        lua_pushinteger(state.raw, 0)
        return 1
    }

    private static func dumpHeap(_ state: LuaState, _ service: Service) -> Int32 {
        noJemalloc(service, "mallctl_cmd prof.dump")
        return 0
    }

    private static func profActive(_ state: LuaState, _ service: Service) -> Int32 {
        noJemalloc(service, "mallctl_bool prof.active")
        lua_pushboolean(state.raw, 0)
        return 1
    }
}
