import CLua
import CSkyhostNative
import Glibc
import Lua

/// A Lua module written in Swift, available to every Lua service of a node through
/// `require(name)`. `open` runs inside `require`, on the service's worker, and pushes the
/// module (usually with `LuaState.pushModule`); it returns 1, or -1 after pushing an error.
package struct NativeModule: Sendable {
    /// The name services `require`.
    package let name: String
    /// Pushes the module onto the requiring service's stack.
    package let open: @Sendable (LuaState, Service) -> Int32

    /// A module called `name`, made by `open`.
    package init(name: String, open: @escaping @Sendable (LuaState, Service) -> Int32) {
        self.name = name
        self.open = open
    }
}

extension NativeModule {
    /// The native modules every node offers its Lua services, one line per module; a
    /// configuration may add others (`NodeConfiguration.nativeModules`).
    static let builtIn: [NativeModule] = [
        SocketDriverModule.module,
        CryptModule.module,
        MD5Module.module,
        MemoryModule.module,
        NativeModule(name: "skynet.stm") { state, _ in
            // stm.c: a value one service publishes and others read, shared through the node's memory.
            skyhost_open_stm(state.raw) == LUA_OK ? 1 : -1
        },
        NativeModule(name: "skyhost.frozentable") { state, _ in
            // frozen_table.c: tables shared by the node, read without a copy (sharedata, sharetable, datasheet).
            skyhost_open_frozentable(state.raw) == LUA_OK ? 1 : -1
        },
        NativeModule(name: "bson") { state, _ in
            // bson_module.c: Skynet's BSON documents (encode, decode, markers, objectid).
            skyhost_open_bson(state.raw) == LUA_OK ? 1 : -1
        },
        NativeModule(name: "skynet.netpack") { state, _ in
            // netpack_module.c: Skynet's 2-byte framing of client streams (gateserver's).
            skyhost_open_netpack(state.raw) == LUA_OK ? 1 : -1
        },
    ]
}

/// A node's native modules. A new state gets one searcher for all of them
/// (`skyhost_install_native_searcher`), which asks `has_module` and then `open_module` (through
/// the host bridge) when a service requires one.
final class NativeModuleTable: Sendable {
    private let modules: [NativeModule]

    init(_ modules: [NativeModule]) {
        self.modules = modules
    }

    /// Makes the native modules reachable by `require` in a new state. Returns a Lua status
    /// (message pushed on failure).
    func install(into L: OpaquePointer) -> Int32 {
        skyhost_install_native_searcher(L)
    }

    /// The module called `name`.
    func module(named name: UnsafePointer<CChar>) -> NativeModule? {
        modules.first { $0.name.withCString { strcmp($0, name) == 0 } }
    }
}
