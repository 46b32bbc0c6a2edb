import CLua
import CLuaShim

/// An error raised by Lua code, or by the Lua runtime itself, with its message (and traceback
/// where one was asked for).
public struct LuaError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The Lua status code (`LUA_ERRRUN`, `LUA_ERRSYNTAX`, `LUA_ERRMEM`, ...).
    public let status: Int32
    /// The error message as Lua produced it.
    public let message: String

    /// Creates an error from a status and a message.
    public init(status: Int32, message: String) {
        self.status = status
        self.message = message
    }

    /// A readable explanation.
    public var description: String { message }

    /// True for a syntax error found while compiling a chunk.
    public var isSyntaxError: Bool { status == LUA_ERRSYNTAX }
}

/// One `lua_State`: a Lua interpreter with its own heap.
///
/// Every operation that could raise a Lua error runs in protected mode and comes back as a
/// thrown `LuaError`, so no `longjmp` ever crosses a Swift frame. A `LuaState` is not
/// thread-safe: it must be used by one thread at a time (Skyhost gives each service's state to
/// one worker at a time).
public final class LuaState {
    /// The raw state, for the native modules of the runtime.
    public let raw: OpaquePointer
    private var ownsState: Bool

    /// Creates a state with Lua's standard allocator and the standard libraries opened.
    public convenience init() throws {
        guard let L = luaL_newstate() else {
            throw LuaError(status: LUA_ERRMEM, message: "not enough memory")
        }
        try self.init(adopting: L)
    }

    /// Creates a state with a custom allocator (`ud` is passed to every call) and opens the
    /// standard libraries.
    public convenience init(allocator: lua_Alloc, userData: UnsafeMutableRawPointer?) throws {
        guard let L = lua_newstate(allocator, userData) else {
            throw LuaError(status: LUA_ERRMEM, message: "not enough memory")
        }
        try self.init(adopting: L)
    }

    private init(adopting L: OpaquePointer) throws {
        raw = L
        ownsState = true
        let status = shim_openlibs_protected(L)
        if status != LUA_OK {
            let error = LuaError(status: status, message: "cannot open the standard libraries")
            lua_close(L)
            throw error
        }
    }

    /// Wraps a state owned elsewhere (e.g. the argument of a native function); closing it is not
    /// this object's business.
    public init(borrowing L: OpaquePointer) {
        raw = L
        ownsState = false
    }

    deinit {
        close()
    }

    /// Closes the state (running pending `__gc` metamethods). After this, the object must not
    /// be used. Does nothing for a borrowed state or a second time.
    public func close() {
        guard ownsState else { return }
        ownsState = false
        lua_close(raw)
    }

    /// A native function written in Swift: it receives the raw state, reads its arguments without
    /// raising, and returns the number of results it pushed, or -1 after pushing an error message
    /// (which the C trampoline raises once Swift has returned).
    public typealias NativeFunction = (OpaquePointer) -> Int32

    private final class NativeFunctionBox {
        let body: NativeFunction
        init(_ body: @escaping NativeFunction) { self.body = body }
    }

    /// Pushes a Lua function that runs `body`. Lua keeps `body` alive as long as the function.
    public func pushFunction(_ body: @escaping NativeFunction) throws {
        let box = Unmanaged.passRetained(NativeFunctionBox(body))
        let status = shim_pushswiftfunction(
            raw,
            { L, context in
                Unmanaged<NativeFunctionBox>.fromOpaque(context!).takeUnretainedValue().body(L!)
            }, box.toOpaque(),
            { context in
                Unmanaged<NativeFunctionBox>.fromOpaque(context!).release()
            })
        if status != LUA_OK {
            box.release()
            throw popError(status: status)
        }
    }

    /// For native functions: pushes `value` and returns 1, or leaves the memory error message and
    /// returns -1.
    public func pushResult(_ value: String) -> Int32 {
        var s = value
        let status = s.withUTF8 { buf in
            shim_pushlstring_protected(raw, buf.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) }, buf.count)
        }
        return status == LUA_OK ? 1 : -1
    }

    /// Number of values on the stack.
    public var top: Int32 {
        get { lua_gettop(raw) }
        set { lua_settop(raw, newValue) }
    }

    /// Sets a global to a string value.
    public func setGlobal(_ name: String, _ value: String) throws {
        let L = raw
        try check(lua_rawgeti(L, shim_registryindex(), lua_Integer(LUA_RIDX_GLOBALS)) == LUA_TTABLE ? LUA_OK : LUA_ERRRUN)
        try push(value)
        try check(shim_rawsetfield_protected(L, -2, name))
        lua_settop(L, -2)
    }

    /// Pushes a string (protected against memory errors).
    public func push(_ string: String) throws {
        if pushResult(string) < 0 { throw popError(status: LUA_ERRMEM) }
    }

    /// Compiles a chunk and leaves the function on the stack.
    /// - Parameters:
    ///   - source: the chunk's text (or precompiled bytes, where `mode` allows them).
    ///   - chunkName: the name used in error messages, e.g. `"@hotfix.lua"`.
    ///   - mode: `"t"`, `"b"` or `"bt"`.
    public func load(_ source: [UInt8], chunkName: String, mode: String = "t") throws {
        let status = source.withUnsafeBufferPointer { buf in
            buf.withMemoryRebound(to: CChar.self) { chars in
                shim_loadbuffer(raw, chars.baseAddress, chars.count, chunkName, mode)
            }
        }
        try check(status)
    }

    /// Compiles a chunk given as a string and leaves the function on the stack.
    public func load(_ source: String, chunkName: String) throws {
        try load(Array(source.utf8), chunkName: chunkName)
    }

    /// Calls the function below `nargs` arguments with a traceback handler; leaves `nresults`
    /// results (or all of them with `LUA_MULTRET`).
    public func call(arguments nargs: Int32, results nresults: Int32 = 0) throws {
        try check(shim_pcall_traceback(raw, nargs, nresults))
    }

    /// The string at `index`, or nil if the value is not a string or number.
    public func string(at index: Int32) -> String? {
        let type = lua_type(raw, index)
        guard type == LUA_TSTRING else {
            if type == LUA_TNUMBER {
                return lua_isinteger(raw, index) != 0
                    ? String(lua_tointegerx(raw, index, nil))
                    : String(lua_tonumberx(raw, index, nil))
            }
            return nil
        }
        var len = 0
        guard let p = lua_tolstring(raw, index, &len) else { return nil }
        return String(decoding: UnsafeRawBufferPointer(start: p, count: len), as: UTF8.self)
    }

    /// Turns a non-OK status into a thrown error, popping the message from the stack.
    public func check(_ status: Int32) throws {
        guard status != LUA_OK else { return }
        throw popError(status: status)
    }

    /// Pops the error message on the top of the stack and wraps it.
    public func popError(status: Int32) -> LuaError {
        let message = string(at: -1) ?? (status == LUA_ERRMEM ? "not enough memory" : "unknown Lua error")
        lua_settop(raw, -2)
        return LuaError(status: status, message: message)
    }
}
