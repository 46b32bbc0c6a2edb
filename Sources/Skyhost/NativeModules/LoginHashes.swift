import Crypto
import Foundation

/// The 64-bit primitives of Skynet's login handshake (`crypt.hashkey`, `hmac64`, `hmac64_md5`,
/// `hmac_hash`, `dhexchange`, `dhsecret`), with the byte orders Skynet gives them: a 64-bit
/// value is 8 bytes, little-endian, read as two 32-bit words (low word first).
enum LoginHashes {
    /// `hashkey(text)`: the djb2 hash then the JS hash of `text`, 32 bits each.
    static func hashKey(_ text: [UInt8]) -> [UInt8] {
        var djb: UInt32 = 5381
        var js: UInt32 = 1_315_423_911
        for byte in text {
            djb = djb &+ (djb << 5) &+ UInt32(byte)
            js ^= (js << 5) &+ UInt32(byte) &+ (js >> 2)
        }
        return bytes(djb, js)
    }

    /// `hmac64(x, y)`: MD5's compression function, without padding and without adding the
    /// initial state, over the 16 words x1 x0 y1 y0 repeated four times; (c ^ d, a ^ b).
    static func hmac64(_ x: [UInt8], _ y: [UInt8]) -> [UInt8] {
        let (x0, x1) = words(x)
        let (y0, y1) = words(y)
        let r = md5Compress(Array([x1, x0, y1, y0].joined(repeatingTimes: 4)))
        return bytes(r.2 ^ r.3, r.0 ^ r.1)
    }

    /// `hmac64_md5(x, y)`: the MD5 digest of x..y three times, its two halves xor'ed.
    static func hmac64MD5(_ x: [UInt8], _ y: [UInt8]) -> [UInt8] {
        let digest = Array(Insecure.MD5.hash(data: Array((x + y).joined(repeatingTimes: 3))))
        return (0..<8).map { digest[$0] ^ digest[$0 + 8] }
    }

    /// `hmac_hash(key, text)`: hmac64 of text's hashkey with the key.
    static func hmacHash(key: [UInt8], _ text: [UInt8]) -> [UInt8] {
        hmac64(hashKey(text), key)
    }

    // MARK: Diffie-Hellman over the largest 64-bit prime

    /// 2^64 - 59.
    static let prime: UInt64 = 0xFFFF_FFFF_FFFF_FFC5
    static let generator: UInt64 = 5

    /// `dhexchange(x)`: generator^x mod prime, for an x that is not 0.
    static func exchange(_ x: [UInt8]) -> [UInt8] {
        bytes(power(generator, value(x)))
    }

    /// `dhsecret(x, y)`: x^y mod prime.
    static func secret(_ x: [UInt8], _ y: [UInt8]) -> [UInt8] {
        bytes(power(value(x), value(y)))
    }

    /// base^exponent mod prime.
    static func power(_ base: UInt64, _ exponent: UInt64) -> UInt64 {
        var result: UInt64 = 1
        var base = base % prime
        var exponent = exponent
        while exponent > 0 {
            if exponent & 1 == 1 { result = multiply(result, base) }
            base = multiply(base, base)
            exponent >>= 1
        }
        return result
    }

    private static func multiply(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let product = a.multipliedFullWidth(by: b)
        return prime.dividingFullWidth((product.high, product.low)).remainder
    }

    // MARK: MD5's compression function (RFC 1321)

    /// The four state words after compressing one 16-word block from MD5's initial state.
    static func md5Compress(_ w: [UInt32]) -> (UInt32, UInt32, UInt32, UInt32) {
        var a: UInt32 = 0x6745_2301
        var b: UInt32 = 0xEFCD_AB89
        var c: UInt32 = 0x98BA_DCFE
        var d: UInt32 = 0x1032_5476
        for i in 0..<64 {
            let f: UInt32
            let g: Int
            switch i {
            case 0..<16: (f, g) = ((b & c) | (~b & d), i)
            case 16..<32: (f, g) = ((d & b) | (~d & c), (5 * i + 1) % 16)
            case 32..<48: (f, g) = (b ^ c ^ d, (3 * i + 5) % 16)
            default: (f, g) = (c ^ (b | ~d), (7 * i) % 16)
            }
            let sum = a &+ f &+ sines[i] &+ w[g]
            (a, b, c, d) = (d, b &+ (sum << shifts[i] | sum >> (32 - shifts[i])), b, c)
        }
        return (a, b, c, d)
    }

    /// floor(|sin(i + 1)| * 2^32), the constants RFC 1321 defines.
    private static let sines: [UInt32] = (0..<64).map { UInt32(abs(sin(Double($0 + 1))) * 4_294_967_296) }

    /// The rotation of each of the 64 steps.
    private static let shifts: [UInt32] = (0..<64).map {
        [[7, 12, 17, 22], [5, 9, 14, 20], [4, 11, 16, 23], [6, 10, 15, 21]][$0 / 16][$0 % 4]
    }

    // MARK: Bytes

    private static func words(_ bytes: [UInt8]) -> (UInt32, UInt32) {
        let v = value(bytes)
        return (UInt32(truncatingIfNeeded: v), UInt32(truncatingIfNeeded: v >> 32))
    }

    private static func value(_ bytes: [UInt8]) -> UInt64 {
        bytes.prefix(8).reversed().reduce(0) { $0 << 8 | UInt64($1) }
    }

    private static func bytes(_ low: UInt32, _ high: UInt32) -> [UInt8] {
        bytes(UInt64(high) << 32 | UInt64(low))
    }

    private static func bytes(_ v: UInt64) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: v >> (8 * UInt64($0))) }
    }
}

extension Array {
    /// The array's elements, `count` times over.
    fileprivate func joined(repeatingTimes count: Int) -> [Element] {
        Array([[Element]](repeating: self, count: count).joined())
    }
}
