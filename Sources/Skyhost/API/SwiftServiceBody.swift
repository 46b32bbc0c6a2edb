import Glibc

/// A service whose handler is Swift (see `Node.register(name:handler:)`). Each message runs its
/// handler in a task, so a handler may await calls to Lua services; the reply is sent when it
/// finishes.
final class SwiftServiceBody: ServiceBody, @unchecked Sendable {
    private let handler: @Sendable (ServiceRequest) async throws -> [LuaValue]
    private unowned let node: Node

    init(node: Node, handler: @escaping @Sendable (ServiceRequest) async throws -> [LuaValue]) {
        self.node = node
        self.handler = handler
    }

    func dispatch(_ message: Message, in service: Service) {
        guard message.type == ProtocolType.lua.rawValue else { return }
        let handle = service.handle
        let source = message.source
        let session = message.session
        let arguments: [LuaValue]
        do {
            arguments =
                try message.data.map {
                    try SkynetPack.unpack(UnsafeRawBufferPointer(start: $0, count: message.size))
                } ?? []
        } catch {
            node.log(source: handle, "swift service: \(error)")
            reply(error: true, from: handle, to: source, session: session, bytes: [])
            return
        }
        let request = ServiceRequest(source: ServiceAddress(source), expectsReply: session != 0, arguments: arguments, node: node)
        let handler = self.handler
        let node = self.node
        Task {
            do {
                let values = try await handler(request)
                guard session != 0 else { return }
                let bytes = try SkynetPack.pack(values)
                self.reply(error: false, from: handle, to: source, session: session, bytes: bytes)
            } catch {
                node.log(
                    source: handle,
                    "swift call [\(ServiceAddress.format(source)) to \(ServiceAddress.format(handle)) : \(session)] error : \(error)")
                self.reply(error: true, from: handle, to: source, session: session, bytes: [])
            }
        }
    }

    private func reply(error: Bool, from: UInt32, to: UInt32, session: Int32, bytes: [UInt8]) {
        guard session != 0 else { return }
        let (data, size) = Message.payload(copying: bytes)
        let type = error ? ProtocolType.error : ProtocolType.response
        node.deliver(Message(source: from, session: session, type: type.rawValue, data: data, size: size), to: to)
    }
}
