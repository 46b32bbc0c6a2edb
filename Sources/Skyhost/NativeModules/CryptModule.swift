import CLua
import Crypto
import Foundation
import Lua

/// `skynet.crypt`: Skynet's `lualib-src/lua-crypt.c`, on swift-crypto where a standard
/// algorithm is asked for and written here where Skynet has its own. Same names, arguments and
/// results as Skynet 1.8; every result is a Lua string of raw bytes unless it says hex or base64.
///
///     sha1(text) -> 20 bytes                   hmac_sha1(key, text) -> 20 bytes (RFC 2104)
///     base64encode(bytes) -> text              base64decode(text) -> bytes
///     hexencode(bytes) -> lowercase hex        hexdecode(hex) -> bytes
///     randomkey() -> 8 random bytes (their xor is never 0, as Skynet's)
///     xor_str(s, key) -> s xor key repeated
///     desencode(key8, text [, padding]) -> DES-ECB of text, padded (crypt.padding.iso7816_4, the
///                                          default, or crypt.padding.pkcs7); see DES.swift
///     desdecode(key8, text [, padding]) -> the text, its padding removed
///     hashkey(text) -> 8 bytes; hmac64(x8, y8), hmac64_md5(x8, y8), hmac_hash(key8, text)
///                   -> 8 bytes; dhexchange(x8) -> 8 bytes; dhsecret(x8, y8) -> 8 bytes
///                                          (see LoginHashes.swift)
///     padding = { iso7816_4 = 0, pkcs7 = 1 }
///
/// As in Skynet, arguments are strings or numbers (numbers are converted as Lua's `tostring`
/// does), and bad ones raise Skynet's messages: `Invalid key size N, need 8 bytes`, `Invalid des
/// crypt text length N`, `Invalid des crypt text` (bad padding), `Invalid padding mode N`,
/// `Invalid uint64 x` / `y` / `key`, `Invalid dh uint64 key`, `Can't be 0`; `base64decode` ignores
/// characters outside the alphabet, accepts missing `=` padding and raises `Invalid base64 text`
/// for a malformed group; `hexdecode` raises `Invalid hex text size N` for an odd length and
/// `Invalid hex text` for a non-hex digit. Differences, on purpose: `hexdecode` accepts uppercase
/// digits too (Skynet rejects them), and `randomkey` draws from the system's cryptographic
/// generator rather than `random()`.
enum CryptModule {
    static let module = NativeModule(name: "skynet.crypt") { state, _ in open(state) }

    private typealias Body = (LuaState) -> Int32

    private static func open(_ state: LuaState) -> Int32 {
        let functions: [(String, Body)] = [
            ("sha1", sha1), ("hmac_sha1", hmacSHA1),
            ("base64encode", base64Encode), ("base64decode", base64Decode),
            ("hexencode", hexEncode), ("hexdecode", hexDecode),
            ("randomkey", randomKey), ("xor_str", xorString),
            ("desencode", desEncode), ("desdecode", desDecode),
            ("hashkey", hashKey), ("hmac64", hmac64), ("hmac64_md5", hmac64MD5), ("hmac_hash", hmacHash),
            ("dhexchange", dhExchange), ("dhsecret", dhSecret),
        ]
        do {
            try state.pushModule(
                functions.map { name, body in
                    (name, { L in body(LuaState(borrowing: L)) })
                })
            lua_createtable(state.raw, 0, Int32(DES.Padding.allCases.count))
            for mode in DES.Padding.allCases {
                lua_pushinteger(state.raw, lua_Integer(mode.rawValue))
                lua_setfield(state.raw, -2, mode.name)
            }
            lua_setfield(state.raw, -2, "padding")
            return 1
        } catch {
            return state.raise("cannot open skynet.crypt: \(error)")
        }
    }

    // MARK: Hashes

    private static func sha1(_ state: LuaState) -> Int32 {
        guard let text = state.stringArgument(1, "sha1") else { return -1 }
        return state.pushBytes(Insecure.SHA1.hash(data: text))
    }

    private static func hmacSHA1(_ state: LuaState) -> Int32 {
        guard let key = state.stringArgument(1, "hmac_sha1") else { return -1 }
        guard let text = state.stringArgument(2, "hmac_sha1") else { return -1 }
        let code = HMAC<Insecure.SHA1>.authenticationCode(for: text, using: SymmetricKey(data: key))
        return state.pushBytes(code)
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
        guard let text = state.stringArgument(1, "base64encode") else { return -1 }
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
        return state.pushBytes(out)
    }

    /// Skynet's decoder: groups of four alphabet characters (others skipped); the end of the text
    /// counts as padding, so "QQ" decodes like "QQ==".
    private static func base64Decode(_ state: LuaState) -> Int32 {
        guard let text = state.stringArgument(1, "base64decode") else { return -1 }
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
        return state.pushBytes(out)
    }

    // MARK: Hex

    private static func hexEncode(_ state: LuaState) -> Int32 {
        guard let text = state.stringArgument(1, "hexencode") else { return -1 }
        return state.pushBytes(hexDigits(of: text))
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
        guard let text = state.stringArgument(1, "hexdecode") else { return -1 }
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
        return state.pushBytes(out)
    }

    // MARK: DES

    /// The cipher for argument 1, the 8-byte key; nil after raising.
    private static func desKey(_ state: LuaState, _ function: String) -> DES? {
        guard let key = state.stringArgument(1, function) else { return nil }
        guard key.count == 8 else {
            _ = state.raise("Invalid key size \(key.count), need 8 bytes")
            return nil
        }
        return DES(key: key)
    }

    /// Argument 3, the padding mode (default iso7816_4); nil after raising.
    private static func padding(_ state: LuaState) -> DES.Padding? {
        let type = state.type(at: 3)
        if type == LUA_TNONE || type == LUA_TNIL { return .iso7816_4 }
        guard type == LUA_TNUMBER, let mode = state.integer(at: 3) else {
            _ = state.raise("bad argument #3 (number expected, got \(LuaState.typeName(type)))")
            return nil
        }
        guard let padding = DES.Padding(rawValue: Int(mode)) else {
            _ = state.raise("Invalid padding mode \(mode)")
            return nil
        }
        return padding
    }

    private static func desEncode(_ state: LuaState) -> Int32 {
        guard let des = desKey(state, "desencode"), let text = state.stringArgument(2, "desencode"),
            let padding = padding(state)
        else { return -1 }
        return state.pushBytes(des.encrypt(text, padding: padding))
    }

    private static func desDecode(_ state: LuaState) -> Int32 {
        guard let des = desKey(state, "desdecode"), let text = state.stringArgument(2, "desdecode") else { return -1 }
        guard text.count % 8 == 0, !text.isEmpty else { return state.raise("Invalid des crypt text length \(text.count)") }
        guard let padding = padding(state) else { return -1 }
        guard let plain = des.decrypt(text, padding: padding) else { return state.raise("Invalid des crypt text") }
        return state.pushBytes(plain)
    }

    // MARK: The login handshake's 64-bit values

    /// Argument `index`, which must be 8 bytes; nil after raising `message`.
    private static func qword(_ state: LuaState, _ index: Int32, _ function: String, _ message: String) -> [UInt8]? {
        guard let bytes = state.stringArgument(index, function) else { return nil }
        guard bytes.count == 8 else {
            _ = state.raise(message)
            return nil
        }
        return bytes
    }

    private static func hashKey(_ state: LuaState) -> Int32 {
        guard let text = state.stringArgument(1, "hashkey") else { return -1 }
        return state.pushBytes(LoginHashes.hashKey(text))
    }

    private static func hmac64(_ state: LuaState) -> Int32 {
        guard let x = qword(state, 1, "hmac64", "Invalid uint64 x"), let y = qword(state, 2, "hmac64", "Invalid uint64 y")
        else { return -1 }
        return state.pushBytes(LoginHashes.hmac64(x, y))
    }

    private static func hmac64MD5(_ state: LuaState) -> Int32 {
        guard let x = qword(state, 1, "hmac64_md5", "Invalid uint64 x"),
            let y = qword(state, 2, "hmac64_md5", "Invalid uint64 y")
        else { return -1 }
        return state.pushBytes(LoginHashes.hmac64MD5(x, y))
    }

    private static func hmacHash(_ state: LuaState) -> Int32 {
        guard let key = qword(state, 1, "hmac_hash", "Invalid uint64 key"), let text = state.stringArgument(2, "hmac_hash")
        else { return -1 }
        return state.pushBytes(LoginHashes.hmacHash(key: key, text))
    }

    private static func dhExchange(_ state: LuaState) -> Int32 {
        guard let x = qword(state, 1, "dhexchange", "Invalid dh uint64 key") else { return -1 }
        guard x.contains(where: { $0 != 0 }) else { return state.raise("Can't be 0") }
        return state.pushBytes(LoginHashes.exchange(x))
    }

    private static func dhSecret(_ state: LuaState) -> Int32 {
        guard let x = qword(state, 1, "dhsecret", "Invalid uint64 x"), let y = qword(state, 2, "dhsecret", "Invalid uint64 y")
        else { return -1 }
        guard x.contains(where: { $0 != 0 }), y.contains(where: { $0 != 0 }) else { return state.raise("Can't be 0") }
        return state.pushBytes(LoginHashes.secret(x, y))
    }

    // MARK: Others

    private static func randomKey(_ state: LuaState) -> Int32 {
        var generator = SystemRandomNumberGenerator()
        var key = (0..<8).map { _ in UInt8.random(in: 0...255, using: &generator) }
        if key.reduce(0, ^) == 0 { key[0] ^= 1 }
        return state.pushBytes(key)
    }

    private static func xorString(_ state: LuaState) -> Int32 {
        guard let text = state.stringArgument(1, "xor_str") else { return -1 }
        guard let key = state.stringArgument(2, "xor_str") else { return -1 }
        guard !key.isEmpty else { return state.raise("Can't xor empty string") }
        return state.pushBytes(text.enumerated().map { $0.element ^ key[$0.offset % key.count] })
    }
}
