import CLua
import Crypto
import Foundation
import Lua

/// `skynet.crypt`: the hashing and encoding half of Skynet's `lualib-src/lua-crypt.c`, on
/// swift-crypto. Same names, arguments and results as Skynet 1.8; every result is a Lua string
/// of raw bytes unless it says hex or base64.
///
///     sha1(text) -> 20 bytes                   hmac_sha1(key, text) -> 20 bytes (RFC 2104)
///     base64encode(bytes) -> text              base64decode(text) -> bytes
///     hexencode(bytes) -> lowercase hex        hexdecode(hex) -> bytes
///     randomkey() -> 8 random bytes (their xor is never 0, as Skynet's)
///     xor_str(s, key) -> s xor key repeated
///
/// As in Skynet, arguments are strings or numbers (numbers are converted as Lua's `tostring`
/// does); `base64decode` ignores characters outside the alphabet, accepts missing `=` padding and
/// raises `Invalid base64 text` for a malformed group; `hexdecode` raises `Invalid hex text size
/// N` for an odd length and `Invalid hex text` for a non-hex digit. Differences, on purpose:
/// `hexdecode` accepts uppercase digits too (Skynet rejects them), and `randomkey` draws from the
/// system's cryptographic generator rather than `random()`.
///
/// Not provided (each raises `crypt.NAME is not supported by Skyhost`): hashkey, desencode,
/// desdecode, hmac64, hmac64_md5, dhexchange, dhsecret, hmac_hash — the login-server primitives.
enum CryptModule {
    static let module = NativeModule(name: "skynet.crypt") { state, _ in open(state) }

    private typealias Body = (LuaState) -> Int32

    private static func open(_ state: LuaState) -> Int32 {
        var functions: [(String, Body)] = [
            ("sha1", sha1), ("hmac_sha1", hmacSHA1),
            ("base64encode", base64Encode), ("base64decode", base64Decode),
            ("hexencode", hexEncode), ("hexdecode", hexDecode),
            ("randomkey", randomKey), ("xor_str", xorString),
        ]
        for name in ["hashkey", "desencode", "desdecode", "hmac64", "hmac64_md5", "dhexchange", "dhsecret", "hmac_hash"] {
            functions.append((name, { state in state.raise("crypt.\(name) is not supported by Skyhost") }))
        }
        do {
            try state.pushModule(
                functions.map { name, body in
                    (name, { L in body(LuaState(borrowing: L)) })
                })
            return 1
        } catch {
            return state.raise("cannot open skynet.crypt: \(error)")
        }
    }

    // MARK: Arguments and results

    /// The bytes of argument `index` as `luaL_checklstring` would see them (a string, or a number
    /// converted as Lua converts it), or nil after pushing the standard argument error.
    private static func argument(_ state: LuaState, _ index: Int32, _ function: String) -> [UInt8]? {
        let type = state.type(at: index)
        if type == LUA_TSTRING { return state.bytes(at: index) }
        if type == LUA_TNUMBER {
            if lua_isinteger(state.raw, index) != 0, let i = state.integer(at: index) {
                return Array(String(i).utf8)
            }
            return Array(luaNumberText(state.number(at: index) ?? 0).utf8)
        }
        let got = type == LUA_TNONE ? "no value" : typeName(type)
        _ = state.raise("bad argument #\(index) to '\(function)' (string expected, got \(got))")
        return nil
    }

    /// Lua 5.4's `tostring` of a float: "%.14g", with ".0" added when it looks like an integer.
    private static func luaNumberText(_ value: Double) -> String {
        let text = String(format: "%.14g", value)
        return text.allSatisfy({ $0 == "-" || ("0"..."9").contains($0) }) ? text + ".0" : text
    }

    private static func typeName(_ type: Int32) -> String {
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

    /// Pushes `bytes` as a Lua string and returns 1 (or -1 with the memory error).
    private static func result<Bytes: Sequence>(_ state: LuaState, _ bytes: Bytes) -> Int32 where Bytes.Element == UInt8 {
        let array = Array(bytes)
        do {
            try array.withUnsafeBytes { try state.push(bytes: $0) }
            return 1
        } catch {
            return state.raise("not enough memory")
        }
    }

    // MARK: Hashes

    private static func sha1(_ state: LuaState) -> Int32 {
        guard let text = argument(state, 1, "sha1") else { return -1 }
        return result(state, Insecure.SHA1.hash(data: text))
    }

    private static func hmacSHA1(_ state: LuaState) -> Int32 {
        guard let key = argument(state, 1, "hmac_sha1") else { return -1 }
        guard let text = argument(state, 2, "hmac_sha1") else { return -1 }
        let code = HMAC<Insecure.SHA1>.authenticationCode(for: text, using: SymmetricKey(data: key))
        return result(state, code)
    }

    // MARK: Base64

    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Alphabet index of a byte; -1 for a byte outside it (skipped), -2 for '=' (padding).
    private static let decoding: [Int] = {
        var table = [Int](repeating: -1, count: 256)
        for (i, c) in alphabet.enumerated() { table[Int(c)] = i }
        table[Int(UInt8(ascii: "="))] = -2
        return table
    }()

    private static func base64Encode(_ state: LuaState) -> Int32 {
        guard let text = argument(state, 1, "base64encode") else { return -1 }
        var out: [UInt8] = []
        out.reserveCapacity((text.count + 2) / 3 * 4)
        var i = 0
        while i + 3 <= text.count {
            let v = UInt32(text[i]) << 16 | UInt32(text[i + 1]) << 8 | UInt32(text[i + 2])
            out += [alphabet[Int(v >> 18)], alphabet[Int(v >> 12 & 63)], alphabet[Int(v >> 6 & 63)], alphabet[Int(v & 63)]]
            i += 3
        }
        switch text.count - i {
        case 1:
            let v = UInt32(text[i])
            out += [alphabet[Int(v >> 2)], alphabet[Int((v & 3) << 4)], UInt8(ascii: "="), UInt8(ascii: "=")]
        case 2:
            let v = UInt32(text[i]) << 8 | UInt32(text[i + 1])
            out += [alphabet[Int(v >> 10)], alphabet[Int(v >> 4 & 63)], alphabet[Int((v & 15) << 2)], UInt8(ascii: "=")]
        default:
            break
        }
        return result(state, out)
    }

    /// Skynet's decoder: groups of four alphabet characters (others skipped); the end of the text
    /// counts as padding, so "QQ" decodes like "QQ==".
    private static func base64Decode(_ state: LuaState) -> Int32 {
        guard let text = argument(state, 1, "base64decode") else { return -1 }
        var out: [UInt8] = []
        out.reserveCapacity((text.count + 3) / 4 * 3)
        var i = 0
        while i < text.count {
            var c = [0, 0, 0, 0]
            var padding = 0
            var j = 0
            while j < 4 {
                let v = i >= text.count ? -2 : decoding[Int(text[i])]
                i += 1
                if v == -1 { continue }
                if v == -2 { padding += 1 }
                c[j] = v
                j += 1
            }
            switch padding {
            case 0:
                let v = UInt32(c[0]) << 18 | UInt32(c[1]) << 12 | UInt32(c[2]) << 6 | UInt32(c[3])
                out += [UInt8(v >> 16), UInt8(v >> 8 & 255), UInt8(v & 255)]
            case 1 where c[3] == -2 && c[0] >= 0 && c[1] >= 0 && c[2] >= 0 && c[2] & 3 == 0:
                let v = UInt32(c[0]) << 10 | UInt32(c[1]) << 4 | UInt32(c[2]) >> 2
                out += [UInt8(v >> 8), UInt8(v & 255)]
            case 2 where c[2] == -2 && c[3] == -2 && c[0] >= 0 && c[1] >= 0 && c[1] & 15 == 0:
                out.append(UInt8(UInt32(c[0]) << 2 | UInt32(c[1]) >> 4))
            default:
                return state.raise("Invalid base64 text")
            }
        }
        return result(state, out)
    }

    // MARK: Hex

    private static func hexEncode(_ state: LuaState) -> Int32 {
        guard let text = argument(state, 1, "hexencode") else { return -1 }
        return result(state, hexDigits(of: text))
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    private static func hexDecode(_ state: LuaState) -> Int32 {
        guard let text = argument(state, 1, "hexdecode") else { return -1 }
        guard text.count % 2 == 0 else { return state.raise("Invalid hex text size \(text.count)") }
        var out: [UInt8] = []
        out.reserveCapacity(text.count / 2)
        var i = 0
        while i < text.count {
            guard let hi = hexValue(text[i]), let lo = hexValue(text[i + 1]) else {
                return state.raise("Invalid hex text")
            }
            out.append(hi << 4 | lo)
            i += 2
        }
        return result(state, out)
    }

    // MARK: Others

    private static func randomKey(_ state: LuaState) -> Int32 {
        var generator = SystemRandomNumberGenerator()
        var key = (0..<8).map { _ in UInt8.random(in: 0...255, using: &generator) }
        if key.reduce(0, ^) == 0 { key[0] ^= 1 }
        return result(state, key)
    }

    private static func xorString(_ state: LuaState) -> Int32 {
        guard let text = argument(state, 1, "xor_str") else { return -1 }
        guard let key = argument(state, 2, "xor_str") else { return -1 }
        guard !key.isEmpty else { return state.raise("Can't xor empty string") }
        return result(state, text.enumerated().map { $0.element ^ key[$0.offset % key.count] })
    }
}
