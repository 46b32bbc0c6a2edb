import NIOCore
import NIOPosix

/// The pipeline handler of a stream socket: turns channel events into `SocketServer` events.
final class SocketStreamHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let server: SocketServer
    private let id: Int32
    /// The listener that accepted this socket (nil for an outgoing connection).
    private let listener: Int32?

    init(server: SocketServer, id: Int32, listener: Int32?) {
        self.server = server
        self.id = id
        self.listener = listener
    }

    func channelActive(context: ChannelHandlerContext) {
        if let listener { server.accepted(id, from: listener) }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        server.received(id, unwrapInboundIn(data))
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed {
            server.peerClosed(id)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        server.peerClosed(id)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        server.failed(id, error)
        context.close(promise: nil)
    }
}
