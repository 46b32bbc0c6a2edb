import Foundation

/// The text commands of `skynet.core.command` and `skynet.core.intcommand` (Skynet's
/// `skynet_command`): what a Lua service asks of its node by name, `REG`, `LAUNCH`, `TIMEOUT`...
/// Each takes one optional string parameter and answers a string, or nil.
enum CoreCommands {
    /// Runs command `name` for `service` (on the worker that runs it) and returns its answer.
    static func run(_ name: String, _ param: String?, from service: Service) -> String? {
        let node = service.node
        switch name {
        case "TIMEOUT":
            return timeoutCommand(param, service)
        case "REG":
            guard let param, !param.isEmpty else { return service.address }
            return node.bind(name: param, to: service.handle) ? param : nil
        case "NAME":
            let words = (param ?? "").split(separator: " ")
            guard words.count == 2, let target = node.resolve(String(words[1])) else { return nil }
            return node.bind(name: String(words[0]), to: target) ? String(words[0]) : nil
        case "QUERY":
            guard let param, let handle = node.handles.handle(named: param) else { return nil }
            return ServiceAddress.format(handle)
        case "EXIT":
            node.log(source: service.handle, "KILL self")
            service.requestExit()
            return nil
        case "KILL":
            guard let param, let handle = node.resolve(param) else { return nil }
            node.log(source: service.handle, "KILL :\(String(handle, radix: 16))")
            if handle == service.handle {
                service.requestExit()
            } else {
                node.kill(handle)
            }
            return nil
        case "LAUNCH":
            guard let param, let handle = node.launch(param, from: service.handle) else { return nil }
            return ServiceAddress.format(handle)
        case "GETENV":
            guard let param else { return nil }
            return node.getenv(param)
        case "SETENV":
            guard let param else { return nil }
            let parts = param.split(separator: " ", maxSplits: 1)
            node.setenv(String(parts[0]), parts.count > 1 ? String(parts[1]) : "")
            return nil
        case "STARTTIME":
            return String(node.startTime)
        case "ABORT":
            // Skyhost extension: an optional exit status for the process (`skynet.abort()` = 0).
            let status = Int32(param ?? "") ?? 0
            node.log(source: service.handle, "ABORT (exit status \(status))")
            node.abort(status: status)
            return nil
        case "STAT":
            return statCommand(param ?? "", service)
        case "SIGNAL":
            // As snlua: signal 0 interrupts the running Lua code, other numbers are logged; the
            // address is returned on success so that the console can report an unknown one.
            let words = (param ?? "").split(separator: " ")
            guard let first = words.first, let target = liveService(node, String(first)) else { return nil }
            let handle = target.handle
            let number = words.count > 1 ? Int(words[1]) ?? 0 : 0
            node.log(source: handle, "recv a signal \(number)")
            if number == 0 {
                target.signalTarget.withLock { $0?.signal() }
            } else if number == 1 {
                let kb = target.signalTarget.withLock { $0?.memoryUsed ?? 0 } / 1024
                node.log(source: handle, "Current Memory \(kb)K")
            }
            return ServiceAddress.format(handle)
        case "LOGON":
            guard let target = liveService(node, param) else { return nil }
            target.messageLog.withLock { log in
                if log == nil, let opened = MessageLog(node: node, handle: target.handle, by: service.handle) {
                    log = opened
                    target.isLogging.store(true, ordering: .releasing)
                }
            }
            return target.isLogging.load(ordering: .acquiring) ? target.address : nil
        case "LOGOFF":
            guard let target = liveService(node, param) else { return nil }
            target.stopMessageLog(by: service.handle)
            return target.address
        case "CHECKSUM":
            // Skyhost extension: the SHA-1 of the source of the service's file as this state
            // loaded it, for the record of a reload.
            guard let code = (service.body as? LuaServiceBody)?.loadedCode.first else { return nil }
            return String(cString: code.checksum)
        default:
            node.log(source: service.handle, "Unknown command \(name)")
            return nil
        }
    }

    /// The live service an address (`:0000000a`, `.name`) names.
    private static func liveService(_ node: Node, _ address: String?) -> Service? {
        guard let address, let handle = node.resolve(address) else { return nil }
        return node.handles.lookup(handle)
    }

    /// `TIMEOUT ti`: a new session, answered by the timer after `ti` centiseconds (at once when
    /// `ti` is not positive).
    private static func timeoutCommand(_ param: String?, _ service: Service) -> String? {
        let ti = Int(param ?? "0") ?? 0
        let session = service.nextSession()
        let node = service.node
        if ti <= 0 {
            node.deliver(Message(source: 0, session: session, type: ProtocolType.response.rawValue, data: nil, size: 0), to: service)
        } else {
            node.timer.add(handle: service.handle, session: session, centiseconds: ti)
        }
        return String(session)
    }

    /// `STAT what`: one of the service's own counters (`skynet.stat`).
    private static func statCommand(_ what: String, _ service: Service) -> String? {
        switch what {
        case "mqlen": return String(service.mailbox.count)
        case "message": return String(service.messagesDispatched)
        case "cpu": return String(Double(service.cpuNanoseconds) / 1e9)
        case "endless": return service.endless.exchange(false, ordering: .relaxed) ? "1" : "0"
        case "time":
            let since = service.busySince.load(ordering: .relaxed)
            return since == 0 ? "0" : String(Double(monotonicNanoseconds() - since) / 1e9)
        default: return nil
        }
    }
}
