import CLua
import Crypto
import Lua
import Skyhost

/// `skyhost.mysql`: MySQL / MariaDB for Lua services, through MariaDB Connector/C.
///
///     local mysql = require "skyhost.mysql"
///     local driver = mysql.open {                  -- a new driver service; returns its handle
///         host = "127.0.0.1", port = 3306,         -- or socket = "/run/mysqld/mysqld.sock"
///         user = "root", password = "", database = "game",
///         charset = "utf8mb4", connect_timeout = 5, -- seconds
///         pool = 2,                                -- threads (and connections)
///     }
///     local ok, result = skynet.call(driver, "lua", "SELECT 1 AS one")   -- see MySQLDriver
///     mysql.checksum(text)                         -- hex SHA-256 of a string
///
/// `open` connects nothing yet: each driver thread connects at its first statement, so a node
/// starts even when the database is down, and every statement reports why it could not run.
/// Every function reads its arguments without raising; bad ones become Lua errors raised by the
/// trampoline after Swift has returned.
enum MySQLModule {
    static let module = NativeModule(name: "skyhost.mysql") { state, service in
        do {
            try state.pushModule([
                ("open", { [unowned service] L in open(LuaState(borrowing: L), service) }),
                ("checksum", { L in checksum(LuaState(borrowing: L)) }),
            ])
            return 1
        } catch {
            return state.raise("cannot open skyhost.mysql: \(error)")
        }
    }

    private static func open(_ state: LuaState, _ service: Service) -> Int32 {
        guard state.type(at: 1) == LUA_TTABLE else {
            return state.raise("bad argument #1 to 'open' (table expected)")
        }
        var settings = MySQLSettings()
        do {
            if let v = try string(state, "host") { settings.host = v }
            if let v = try integer(state, "port") {
                guard let port = UInt32(exactly: v), port <= 65535 else { return state.raise("mysql.open: invalid port \(v)") }
                settings.port = port
            }
            if let v = try string(state, "socket"), !v.isEmpty { settings.socket = v }
            if let v = try string(state, "user") { settings.user = v }
            if let v = try string(state, "password") { settings.password = v }
            if let v = try string(state, "database"), !v.isEmpty { settings.database = v }
            if let v = try string(state, "charset"), !v.isEmpty { settings.charset = v }
            if let v = try integer(state, "connect_timeout") {
                guard let t = UInt32(exactly: v), t > 0 else { return state.raise("mysql.open: invalid connect_timeout \(v)") }
                settings.connectTimeout = t
            }
            if let v = try integer(state, "pool") {
                guard (1...64).contains(v) else { return state.raise("mysql.open: pool must be 1 to 64, not \(v)") }
                settings.pool = Int(v)
            }
        } catch let error as BadField {
            return state.raise("mysql.open: \(error.key) must be a \(error.expected)")
        } catch {
            return state.raise("mysql.open: \(error)")
        }
        let node = service.node
        let launchName = "mysql \(settings)"
        let driverService = node.handles.register { Service(handle: $0, node: node, launchName: launchName) }
        driverService.body = MySQLDriver(settings: settings, handle: driverService.handle, node: node)
        node.log(source: driverService.handle, "LAUNCH \(launchName) pool \(settings.pool)")
        state.push(Int64(driverService.handle))
        return 1
    }

    private struct BadField: Error {
        let key: String
        let expected: String
    }

    /// Pushes `options[key]` (raw access: no metamethod can run), reads it with `read`, pops it.
    private static func field<T>(
        _ state: LuaState, _ key: String, _ expected: String,
        _ read: (Int32) -> T?
    ) throws -> T? {
        try state.push(key)
        let type = lua_rawget(state.raw, 1)
        defer { state.top -= 1 }
        if type == LUA_TNIL { return nil }
        guard let value = read(type) else { throw BadField(key: key, expected: expected) }
        return value
    }

    private static func string(_ state: LuaState, _ key: String) throws -> String? {
        try field(state, key, "string") { type in
            type == LUA_TSTRING || type == LUA_TNUMBER ? state.string(at: -1) : nil
        }
    }

    private static func integer(_ state: LuaState, _ key: String) throws -> Int64? {
        try field(state, key, "integer") { _ in state.integer(at: -1) }
    }

    private static func checksum(_ state: LuaState) -> Int32 {
        guard state.type(at: 1) == LUA_TSTRING else {
            return state.raise("bad argument #1 to 'checksum' (string expected)")
        }
        var len = 0
        guard let p = lua_tolstring(state.raw, 1, &len) else { return state.raise("checksum: no string") }
        let digest = SHA256.hash(data: UnsafeRawBufferPointer(start: p, count: len))
        return state.pushResult(String(decoding: hexDigits(of: digest), as: UTF8.self))
    }
}

extension NodeConfiguration {
    /// Offers the `skyhost.mysql` module (and so `service/mysql_mgr.lua`) to the node's Lua
    /// services.
    public mutating func enableMySQL() {
        nativeModules.append(MySQLModule.module)
    }
}
