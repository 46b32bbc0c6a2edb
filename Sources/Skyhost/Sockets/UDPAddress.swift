import NIOCore

/// The peer of a UDP datagram as Skynet hands it to Lua (`from` in `socket.udp`'s callback, the
/// address `socket.sendto` takes): a protocol byte (1 for IPv4, 2 for IPv6), the port in network
/// byte order, then the 4 or 16 bytes of the IP address.
enum UDPAddress {
    private static let ipv4: UInt8 = 1
    private static let ipv6: UInt8 = 2

    /// The bytes of `address`, or nil for a unix-domain address.
    static func encode(_ address: SocketAddress) -> [UInt8]? {
        guard let port = address.port else { return nil }
        var bytes = [UInt8]()
        switch address {
        case .v4(let a):
            bytes.append(ipv4)
            bytes.append(UInt8(port >> 8))
            bytes.append(UInt8(port & 0xff))
            withUnsafeBytes(of: a.address.sin_addr) { bytes.append(contentsOf: $0) }
        case .v6(let a):
            bytes.append(ipv6)
            bytes.append(UInt8(port >> 8))
            bytes.append(UInt8(port & 0xff))
            withUnsafeBytes(of: a.address.sin6_addr) { bytes.append(contentsOf: $0) }
        case .unixDomainSocket:
            return nil
        }
        return bytes
    }

    /// The address these bytes encode, or nil if they encode none.
    static func decode(_ bytes: [UInt8]) -> SocketAddress? {
        guard bytes.count == 7 || bytes.count == 19 else { return nil }
        let port = Int(bytes[1]) << 8 | Int(bytes[2])
        let ip = Array(bytes[3...])
        switch (bytes[0], ip.count) {
        case (ipv4, 4):
            return try? SocketAddress(packedIPAddress: ByteBuffer(bytes: ip), port: port)
        case (ipv6, 16):
            return try? SocketAddress(packedIPAddress: ByteBuffer(bytes: ip), port: port)
        default:
            return nil
        }
    }

    /// The IP address as text and the port (`socket.udp_address`), or nil if the bytes encode
    /// no address. Any protocol byte is accepted here, as Skynet does: only the length decides.
    static func describe(_ bytes: [UInt8]) -> (ip: String, port: Int)? {
        guard bytes.count == 7 || bytes.count == 19 else { return nil }
        let port = Int(bytes[1]) << 8 | Int(bytes[2])
        let ip = Array(bytes[3...])
        guard let address = try? SocketAddress(packedIPAddress: ByteBuffer(bytes: ip), port: port),
            let text = address.ipAddress
        else { return nil }
        return (text, port)
    }
}
