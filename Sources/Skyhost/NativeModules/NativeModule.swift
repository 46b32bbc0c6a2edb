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
    ]
}

/// A node's native modules, with their names as C strings: a new Lua state gets one
/// package.preload entry per name, all the same light C function (`skyhost_preload_native`),
/// which finds the module here by name when a service requires it.
final class NativeModuleTable: @unchecked Sendable {
    private let modules: [NativeModule]
    private let names: UnsafeMutablePointer<UnsafePointer<CChar>?>

    init(_ modules: [NativeModule]) {
        self.modules = modules
        names = .allocate(capacity: max(modules.count, 1))
        for (i, module) in modules.enumerated() { names[i] = UnsafePointer(strdup(module.name)) }
    }

    deinit {
        for i in 0..<modules.count { free(UnsafeMutablePointer(mutating: names[i])) }
        names.deallocate()
    }

    /// Adds the preload entries to a new state. Returns a Lua status (message pushed on failure).
    func preload(into L: OpaquePointer) -> Int32 {
        skyhost_preload_native(L, names, Int32(modules.count))
    }

    /// The module called `name`.
    func module(named name: UnsafePointer<CChar>) -> NativeModule? {
        for i in 0..<modules.count where strcmp(names[i]!, name) == 0 { return modules[i] }
        return nil
    }
}
