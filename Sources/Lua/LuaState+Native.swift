import CLua
import CLuaShim

/// Helpers for native functions written in Swift (see `NativeFunction`): reading arguments
/// never raises; pushing allocating values goes through protected calls.
extension LuaState {
    /// The integer at `index`, or nil if the value is not an integer (or a float with an exact
    /// integer value, or a string convertible to one).
    public func integer(at index: Int32) -> Int64? {
        var isNumber: Int32 = 0
        let v = shim_tointeger(raw, index, &isNumber)
        return isNumber != 0 ? Int64(v) : nil
    }

    /// The number at `index`, or nil.
    public func number(at index: Int32) -> Double? {
        var isNumber: Int32 = 0
        let v = shim_tonumber(raw, index, &isNumber)
        return isNumber != 0 ? v : nil
    }

    /// The bytes of the string at `index` (no number conversion), or nil.
    public func bytes(at index: Int32) -> [UInt8]? {
        guard lua_type(raw, index) == LUA_TSTRING else { return nil }
        var len = 0
        guard let p = lua_tolstring(raw, index, &len) else { return nil }
        return Array(UnsafeRawBufferPointer(start: p, count: len))
    }

    /// The Lua type of the value at `index` (`LUA_TNIL`, `LUA_TSTRING`, ...; `LUA_TNONE` past the top).
    public func type(at index: Int32) -> Int32 { lua_type(raw, index) }

    /// Pushes an integer (never allocates).
    public func push(_ value: Int64) { lua_pushinteger(raw, lua_Integer(value)) }

    /// Pushes a boolean (never allocates).
    public func push(_ value: Bool) { lua_pushboolean(raw, value ? 1 : 0) }

    /// Pushes nil.
    public func pushNil() { lua_pushnil(raw) }

    /// Pushes a copy of `bytes` as a Lua string.
    public func push(bytes: UnsafeRawBufferPointer) throws {
        let status = shim_pushlstring_protected(raw, bytes.baseAddress?.assumingMemoryBound(to: CChar.self), bytes.count)
        try check(status)
    }

    /// For native functions: pushes an error message and returns -1, so that the trampoline
    /// raises it.
    public func raise(_ message: String) -> Int32 {
        if pushResult(message) < 0 { return -1 }  // the memory error message is on the stack
        return -1
    }

    /// Pushes a new table of native functions.
    public func pushModule(_ functions: [(String, NativeFunction)]) throws {
        try check(shim_createtable_protected(raw, 0, Int32(functions.count)))
        for (name, function) in functions {
            try pushFunction(function)
            try check(shim_rawsetfield_protected(raw, -2, name))
        }
    }

    /// Makes `require(name)` return the module that `open` pushes (package.preload[name]).
    public func preload(_ name: String, _ open: @escaping NativeFunction) throws {
        guard lua_getfield(raw, shim_registryindex(), LUA_PRELOAD_TABLE) == LUA_TTABLE else {
            lua_settop(raw, -2)
            throw LuaError(status: LUA_ERRRUN, message: "package library not open")
        }
        try pushFunction(open)
        try check(shim_rawsetfield_protected(raw, -2, name))
        lua_settop(raw, -2)
    }
}
