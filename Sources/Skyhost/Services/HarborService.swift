/// The native `harbor` service (`:00000005` in a single node). Skynet's harbor routes messages
/// between nodes; a single Skyhost node has no other nodes, so all it does is what the global
/// name registry needs: `cdummy` redirects `N name` from the named service's address, and the
/// name is bound to that address so that `skynet.send("NAME", ...)` finds it (`skynet.name`
/// has usually bound it already: see lualib/skynet/api/naming.lua).
final class HarborService: ServiceBody {
    /// Only redirected name registrations arrive here; requests get an ERROR.
    func dispatch(_ message: Message, in service: Service) {
        defer { service.node.refuseRequest(message, at: service) }
        guard message.type == ProtocolType.harbor.rawValue || message.type == ProtocolType.text.rawValue,
            let data = message.data, message.size > 2
        else { return }
        let text = String(decoding: UnsafeRawBufferPointer(start: data, count: message.size), as: UTF8.self)
        guard text.hasPrefix("N ") else { return }
        let name = String(text.dropFirst(2))
        let handles = service.node.handles
        if !service.node.bind(name: name, to: message.source) && handles.handle(named: name) != message.source {
            service.node.log(source: service.handle, "global name \(name) is already bound")
        }
    }
}
