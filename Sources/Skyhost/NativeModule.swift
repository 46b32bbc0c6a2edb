import Lua

/// A Lua module written in Swift, available to every Lua service of a node through
/// `require(name)`. `open` runs inside `require`, on the service's worker, and pushes the
/// module (usually with `LuaState.pushModule`); it returns 1, or -1 after pushing an error.
struct NativeModule: Sendable {
    let name: String
    let open: @Sendable (LuaState, Service) -> Int32
}

extension NativeModule {
    /// Every native module a node offers its Lua services. One line per module.
    static let all: [NativeModule] = [
        SocketDriverModule.module,
        MySQLModule.module,
        CryptModule.module,
    ]
}
