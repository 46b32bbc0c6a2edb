import CLua
import Crypto
import Foundation
import Lua

/// `md5.core`, the C half of the Kepler project's md5 library that Skynet ships (its
/// lualib/md5.lua, Skyhost's own, adds `sumhexa` and `hmacmd5` on top):
///
///     sum(text) -> the 16 bytes of its MD5 digest
///     exor(a, b) -> a xor b (same lengths)
///     crypt(text, key [, seed]) -> MD5 in cipher-feedback mode: one byte, the seed's length, the
///                                  seed (at most 16 bytes; default the clock's time_t) and the
///                                  cipher text
///     decrypt(cipher, key) -> the text again
enum MD5Module {
    static let module = NativeModule(name: "md5.core") { state, _ in open(state) }

    private typealias Body = (LuaState) -> Int32

    private static func open(_ state: LuaState) -> Int32 {
        let functions: [(String, Body)] = [("sum", sum), ("exor", exor), ("crypt", crypt), ("decrypt", decrypt)]
        do {
            try state.pushModule(functions.map { name, body in (name, { L in body(LuaState(borrowing: L)) }) })
            for (field, value) in [
                ("_COPYRIGHT", "Copyright (C) 2003-2013 PUC-Rio"), ("_DESCRIPTION", "Basic cryptographic facilities"),
                ("_VERSION", "MD5 1.2"),
            ] {
                lua_pushstring(state.raw, value)
                lua_setfield(state.raw, -2, field)
            }
            return 1
        } catch {
            return state.raise("cannot open md5.core: \(error)")
        }
    }

    /// Largest key and seed the library takes.
    private static let maxKey = 256
    private static let blockSize = 16

    private static func digest(_ bytes: [UInt8]) -> [UInt8] { Array(Insecure.MD5.hash(data: bytes)) }

    private static func sum(_ state: LuaState) -> Int32 {
        guard let text = state.stringArgument(1, "sum") else { return -1 }
        return state.pushBytes(digest(text))
    }

    private static func exor(_ state: LuaState) -> Int32 {
        guard let a = state.stringArgument(1, "exor"), let b = state.stringArgument(2, "exor") else { return -1 }
        guard a.count == b.count else { return state.raise("bad argument #2 to 'exor' (lengths must be equal)") }
        return state.pushBytes(zip(a, b).map { $0 ^ $1 })
    }

    /// The feedback block: the seed, zero-padded to 16 bytes, then the key.
    private static func block(seed: ArraySlice<UInt8>, key: [UInt8]) -> [UInt8] {
        Array(seed) + [UInt8](repeating: 0, count: blockSize - seed.count) + key
    }

    private static func crypt(_ state: LuaState) -> Int32 {
        guard let text = state.stringArgument(1, "crypt"), let key = state.stringArgument(2, "crypt") else { return -1 }
        let seed: [UInt8]
        if state.type(at: 3) == LUA_TNONE {
            var now = time(nil)
            seed = withUnsafeBytes(of: &now) { Array($0) }
        } else {
            guard let given = state.stringArgument(3, "crypt") else { return -1 }
            seed = given
        }
        guard seed.count <= blockSize else { return state.raise("seed too long (> \(blockSize))") }
        guard key.count <= maxKey else { return state.raise("key too long (> \(maxKey))") }
        var feedback = block(seed: seed[...], key: key)
        var out = [UInt8(seed.count)] + seed
        var start = 0
        while start < text.count {
            let chunk = text[start..<min(start + blockSize, text.count)]
            let code = zip(digest(feedback), chunk).map { $0 ^ $1 }
            out += code
            feedback.replaceSubrange(0..<code.count, with: code)
            start += blockSize
        }
        return state.pushBytes(out)
    }

    private static func decrypt(_ state: LuaState) -> Int32 {
        guard let cipher = state.stringArgument(1, "decrypt"), let key = state.stringArgument(2, "decrypt") else { return -1 }
        guard let first = cipher.first, Int(first) <= blockSize, cipher.count >= Int(first) + 1 else {
            return state.raise("bad argument #1 to 'decrypt' (invalid cyphered string)")
        }
        guard key.count <= maxKey else { return state.raise("key too long (> \(maxKey))") }
        let seedLength = Int(first)
        var feedback = block(seed: cipher[1..<1 + seedLength], key: key)
        var out: [UInt8] = []
        var start = 1 + seedLength
        while start < cipher.count {
            let chunk = cipher[start..<min(start + blockSize, cipher.count)]
            out += zip(digest(feedback), chunk).map { $0 ^ $1 }
            feedback.replaceSubrange(0..<chunk.count, with: chunk)
            start += blockSize
        }
        return state.pushBytes(out)
    }
}
