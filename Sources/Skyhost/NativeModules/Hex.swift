/// The lowercase hexadecimal form of `bytes`, two ASCII digits per byte, as `sha1sum` and
/// Skynet's `crypt.hexencode` write it.
package func hexDigits<Bytes: Sequence>(of bytes: Bytes) -> [UInt8] where Bytes.Element == UInt8 {
    var out: [UInt8] = []
    out.reserveCapacity(bytes.underestimatedCount * 2)
    for b in bytes {
        out.append(hexAlphabet[Int(b >> 4)])
        out.append(hexAlphabet[Int(b & 15)])
    }
    return out
}

private let hexAlphabet = Array("0123456789abcdef".utf8)
