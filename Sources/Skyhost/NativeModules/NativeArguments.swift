import CLua
import Foundation
import Lua

/// How the native modules written in Swift take their arguments and give their results, as
/// Skynet's C modules do with `luaL_checklstring` and `lua_pushlstring`.
extension LuaState {
    /// The bytes of argument `index` as `luaL_checklstring` would see them (a string, or a number
    /// converted as Lua converts it), or nil after pushing the standard argument error.
    func stringArgument(_ index: Int32, _ function: String) -> [UInt8]? {
        let type = self.type(at: index)
        if type == LUA_TSTRING { return bytes(at: index) }
        if type == LUA_TNUMBER {
            if lua_isinteger(raw, index) != 0, let i = integer(at: index) {
                return Array(String(i).utf8)
            }
            return Array(Self.numberText(number(at: index) ?? 0).utf8)
        }
        let got = type == LUA_TNONE ? "no value" : Self.typeName(type)
        _ = raise("bad argument #\(index) to '\(function)' (string expected, got \(got))")
        return nil
    }

    /// Pushes `bytes` as a Lua string and returns 1 (or -1 with the memory error).
    func pushBytes<Bytes: Sequence>(_ bytes: Bytes) -> Int32 where Bytes.Element == UInt8 {
        let array = Array(bytes)
        do {
            try array.withUnsafeBytes { try push(bytes: $0) }
            return 1
        } catch {
            return raise("not enough memory")
        }
    }

    /// Lua 5.4's `tostring` of a float: "%.14g", with ".0" added when it looks like an integer.
    static func numberText(_ value: Double) -> String {
        let text = String(format: "%.14g", value)
        return text.allSatisfy({ $0 == "-" || ("0"..."9").contains($0) }) ? text + ".0" : text
    }

    /// Lua's name of a type (`lua_typename`).
    static func typeName(_ type: Int32) -> String {
        switch type {
        case LUA_TNIL: return "nil"
        case LUA_TBOOLEAN: return "boolean"
        case LUA_TLIGHTUSERDATA, LUA_TUSERDATA: return "userdata"
        case LUA_TNUMBER: return "number"
        case LUA_TSTRING: return "string"
        case LUA_TTABLE: return "table"
        case LUA_TFUNCTION: return "function"
        case LUA_TTHREAD: return "thread"
        default: return "no value"
        }
    }
}
