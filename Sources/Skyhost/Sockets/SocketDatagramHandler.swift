import NIOCore
import NIOPosix

/// The pipeline handler of a UDP socket: every datagram goes to `SocketServer.received(_:datagram:)`.
final class SocketDatagramHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    private let server: SocketServer
    private let id: Int32

    init(server: SocketServer, id: Int32) {
        self.server = server
        self.id = id
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        server.received(id, datagram: unwrapInboundIn(data))
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // A datagram socket outlives a failed read or an ICMP error (a port nobody listens on):
        // Skynet's UDP sockets report nothing then either.
    }
}
