import CLua
import CLuaShim
import Glibc
import Lua

/// `skynet.socketdriver`: the native half of `skynet.socket`, over the node's `SocketServer`.
///
///     listen(host, port [, backlog]) -> id      also listen("host:port"); raises "Listen error: ..."
///     connect(host, port) -> id                 also connect("host:port"); the outcome comes as an event
///     start(id) pause(id) close(id) shutdown(id) nodelay(id)
///     send(id, data [, sz]) -> boolean          data: string, table of strings, or lightuserdata + size
///     lsend(...)                                the same (Skyhost has one write queue per socket)
///     unpack(msg, sz) -> kind, id, ud, data     a PTYPE_SOCKET message (see SocketEvent);
///                                               a datagram (kind 6) adds the sender's address
///     udp([host, port]) udp_listen(host, port) udp_dial(host, port) -> id
///     udp_connect(id, host, port)               where socket.write on a UDP socket sends
///     udp_send(id, address, data) -> boolean    one datagram to an address a datagram came from
///     udp_address(address) -> ip, port
///     resolve(host) -> { ip, ... }              getaddrinfo, blocking
///     header(s) -> n                            big-endian length header of 1 to 4 bytes
///     info() -> { {id=, type=, address=, ...} } open sockets, for netstat
///     drop(msg, sz)                             frees a lightuserdata (for Skynet code; data here are strings)
///
///     bind(fd) -> id                            an OS descriptor read as a stream socket
/// Every function reads its arguments without raising and reports bad ones as Lua errors
/// raised by the trampoline, after Swift has returned.
enum SocketDriverModule {
    static let module = NativeModule(name: "skynet.socketdriver") { state, service in
        open(state, service)
    }

    /// Default listen backlog, as Skynet's.
    static let defaultBacklog = 32

    private static func open(_ state: LuaState, _ service: Service) -> Int32 {
        typealias Body = (LuaState, Service) -> Int32
        let functions: [(String, Body)] = [
            ("listen", listen), ("connect", connect), ("start", start), ("pause", pause),
            ("close", close), ("shutdown", shutdown), ("nodelay", nodelay),
            ("send", send), ("lsend", send), ("unpack", unpack), ("header", header),
            ("info", info), ("drop", drop),
            ("udp", udp), ("udp_connect", udpConnect), ("udp_listen", udpListen), ("udp_dial", udpDial),
            ("udp_send", udpSend), ("udp_address", udpAddress), ("bind", bind), ("resolve", resolve),
        ]
        do {
            try state.pushModule(
                functions.map { name, body in
                    (name, { [unowned service] L in body(LuaState(borrowing: L), service) })
                })
            return 1
        } catch {
            return state.raise("cannot open skynet.socketdriver: \(error)")
        }
    }

    // MARK: Arguments

    /// A socket id argument, or nil (then the caller raises).
    private static func socketID(_ state: LuaState, _ index: Int32 = 1) -> Int32? {
        guard let v = state.integer(at: index), let id = Int32(exactly: v) else { return nil }
        return id
    }

    private static func badArgument(_ state: LuaState, _ index: Int32, _ function: String, _ expected: String) -> Int32 {
        state.raise("bad argument #\(index) to '\(function)' (\(expected) expected)")
    }

    /// host and port from (host, port) or ("host:port" / "[v6]:port").
    private static func address(_ state: LuaState, _ function: String) -> Result<(String, Int), SocketFailure> {
        guard let text = state.string(at: 1) else {
            return .failure(SocketFailure(reason: "bad argument #1 to '\(function)' (string expected)"))
        }
        let portType = state.type(at: 2)
        if portType != LUA_TNONE && portType != LUA_TNIL {
            guard let port = state.integer(at: 2) else {
                return .failure(SocketFailure(reason: "bad argument #2 to '\(function)' (number expected)"))
            }
            return .success((text, Int(clamping: port)))
        }
        let host: Substring
        let rest: Substring
        if text.first == "[" {
            guard let close = text.firstIndex(of: "]") else { return .failure(SocketFailure(reason: "Invalid address \(text).")) }
            host = text[text.index(after: text.startIndex)..<close]
            rest = text[text.index(after: close)...]
        } else {
            guard let colon = text.lastIndex(of: ":") else { return .failure(SocketFailure(reason: "Invalid address \(text).")) }
            host = text[..<colon]
            rest = text[colon...]
        }
        guard rest.first == ":", let port = Int(rest.dropFirst()), (0...65535).contains(port) else {
            return .failure(SocketFailure(reason: "Invalid port in address \(text)."))
        }
        return .success((String(host), port))
    }

    // MARK: Functions

    private static func listen(_ state: LuaState, _ service: Service) -> Int32 {
        let host: String
        let port: Int
        switch address(state, "listen") {
        case .failure(let f): return state.raise(f.reason)
        case .success(let hp): (host, port) = hp
        }
        var backlog = defaultBacklog
        let t = state.type(at: 3)
        if t != LUA_TNONE && t != LUA_TNIL {
            guard let b = state.integer(at: 3) else { return badArgument(state, 3, "listen", "number") }
            backlog = Int(clamping: b)
        }
        switch service.node.sockets.listen(host: host, port: port, backlog: backlog, owner: service.handle, node: service.node) {
        case .success(let id):
            state.push(Int64(id))
            return 1
        case .failure(let f):
            return state.raise("Listen error: \(f.reason) (\(host):\(port))")
        }
    }

    private static func connect(_ state: LuaState, _ service: Service) -> Int32 {
        let host: String
        let port: Int
        switch address(state, "connect") {
        case .failure(let f): return state.raise(f.reason)
        case .success(let hp): (host, port) = hp
        }
        guard port != 0 else { return state.raise("Invalid port") }
        switch service.node.sockets.connect(host: host, port: port, owner: service.handle, node: service.node) {
        case .success(let id):
            state.push(Int64(id))
            return 1
        case .failure(let f):
            return state.raise("Connect error: \(f.reason)")
        }
    }

    /// bind(fd) -> id: an OS descriptor of the process read as a stream socket (socket.stdin).
    private static func bind(_ state: LuaState, _ service: Service) -> Int32 {
        guard let fd = state.integer(at: 1), let descriptor = Int32(exactly: fd) else { return badArgument(state, 1, "bind", "number") }
        switch service.node.sockets.bind(descriptor: descriptor, owner: service.handle, node: service.node) {
        case .success(let id):
            state.push(Int64(id))
            return 1
        case .failure(let f):
            return state.raise("Bind error: \(f.reason)")
        }
    }

    private static func start(_ state: LuaState, _ service: Service) -> Int32 {
        guard let id = socketID(state) else { return badArgument(state, 1, "start", "number") }
        service.node.sockets.start(id, caller: service.handle, node: service.node)
        return 0
    }

    private static func pause(_ state: LuaState, _ service: Service) -> Int32 {
        guard let id = socketID(state) else { return badArgument(state, 1, "pause", "number") }
        service.node.sockets.pause(id)
        return 0
    }

    private static func close(_ state: LuaState, _ service: Service) -> Int32 {
        guard let id = socketID(state) else { return badArgument(state, 1, "close", "number") }
        service.node.sockets.close(id, force: false)
        return 0
    }

    private static func shutdown(_ state: LuaState, _ service: Service) -> Int32 {
        guard let id = socketID(state) else { return badArgument(state, 1, "shutdown", "number") }
        service.node.sockets.close(id, force: true)
        return 0
    }

    private static func nodelay(_ state: LuaState, _ service: Service) -> Int32 {
        guard let id = socketID(state) else { return badArgument(state, 1, "nodelay", "number") }
        service.node.sockets.nodelay(id)
        return 0
    }

    private static func send(_ state: LuaState, _ service: Service) -> Int32 {
        guard let id = socketID(state) else { return badArgument(state, 1, "send", "number") }
        let sockets = service.node.sockets
        return write(state, at: 2, "send") { sockets.send(id, bytes: $0) }
    }

    /// Hands the data argument at `index` to `body` and pushes its answer: a string, a number, a
    /// table of strings, or a userdata with its size (a lightuserdata is a malloc'd buffer, as
    /// skynet.pack and netpack make: the socket takes it and frees it).
    private static func write(_ state: LuaState, at index: Int32, _ function: String, _ body: (UnsafeRawBufferPointer) -> Bool) -> Int32 {
        let L = state.raw
        let ok: Bool
        switch lua_type(L, index) {
        case LUA_TSTRING:
            var len = 0
            let p = lua_tolstring(L, index, &len)
            ok = body(UnsafeRawBufferPointer(start: p, count: len))
        case LUA_TNUMBER:
            guard var text = state.string(at: index) else { return badArgument(state, index, function, "string") }
            ok = text.withUTF8 { body(UnsafeRawBufferPointer($0)) }
        case LUA_TLIGHTUSERDATA:
            let p = lua_touserdata(L, index)
            guard let size = state.integer(at: index + 1), size >= 0 else {
                free(p)
                return badArgument(state, index + 1, function, "size")
            }
            ok = body(UnsafeRawBufferPointer(start: p, count: Int(size)))
            free(p)
        case LUA_TUSERDATA:
            let p = lua_touserdata(L, index)
            let size = state.integer(at: index + 1).map { Int($0) } ?? Int(lua_rawlen(L, index))
            guard size >= 0, size <= Int(lua_rawlen(L, index)) else { return badArgument(state, index + 1, function, "valid size") }
            ok = body(UnsafeRawBufferPointer(start: p, count: size))
        case LUA_TTABLE:
            var bytes: [UInt8] = []
            let n = lua_rawlen(L, index)
            var i: lua_Integer = 1
            while i <= lua_Integer(n) {
                let t = lua_rawgeti(L, index, i)
                if t == LUA_TSTRING {
                    var len = 0
                    let p = lua_tolstring(L, -1, &len)
                    bytes.append(contentsOf: UnsafeRawBufferPointer(start: p, count: len))
                } else if t == LUA_TNUMBER, let text = state.string(at: -1) {
                    bytes.append(contentsOf: text.utf8)
                } else {
                    state.top -= 1
                    return state.raise("Invalid table element #\(i) in socket write (string expected, got \(typeName(t)))")
                }
                state.top -= 1
                i += 1
            }
            ok = bytes.withUnsafeBytes { body($0) }
        default:
            return badArgument(state, index, function, "string")
        }
        state.push(ok)
        return 1
    }

    // MARK: UDP and names

    /// Pushes the id of a socket just made, or raises `failure: reason`.
    private static func pushSocket(_ state: LuaState, _ result: Result<Int32, SocketFailure>, failure: String) -> Int32 {
        switch result {
        case .success(let id):
            state.push(Int64(id))
            return 1
        case .failure(let f):
            return state.raise("\(failure): \(f.reason)")
        }
    }

    /// udp([host [, port]]) -> id: a UDP socket, bound if an address is given ("host:port" too).
    private static func udp(_ state: LuaState, _ service: Service) -> Int32 {
        var host: String?
        var port = 0
        if state.type(at: 1) != LUA_TNONE && state.type(at: 1) != LUA_TNIL {
            switch address(state, "udp") {
            case .failure(let f): return state.raise(f.reason)
            case .success(let hp): (host, port) = hp
            }
        }
        let made = service.node.sockets.udp(host: host, port: port, owner: service.handle, node: service.node)
        return pushSocket(state, made, failure: "udp init failed")
    }

    /// udp_listen(host, port) -> id: a UDP socket bound to host:port.
    private static func udpListen(_ state: LuaState, _ service: Service) -> Int32 {
        let host: String
        let port: Int
        switch address(state, "udp_listen") {
        case .failure(let f): return state.raise(f.reason)
        case .success(let hp): (host, port) = hp
        }
        let made = service.node.sockets.udp(host: host, port: port, owner: service.handle, node: service.node)
        return pushSocket(state, made, failure: "udp listen host failed")
    }

    /// udp_dial(host, port) -> id: a UDP socket whose writes go to host:port.
    private static func udpDial(_ state: LuaState, _ service: Service) -> Int32 {
        let host: String
        let port: Int
        switch address(state, "udp_dial") {
        case .failure(let f): return state.raise(f.reason)
        case .success(let hp): (host, port) = hp
        }
        let sockets = service.node.sockets
        let dialed = Result { () throws(SocketFailure) in try SocketServer.resolveUDP(host: host, port: port) }
            .flatMap { peer in sockets.udp(host: nil, port: 0, peer: peer, owner: service.handle, node: service.node) }
        return pushSocket(state, dialed, failure: "udp dial host failed")
    }

    /// udp_connect(id, host, port): where socket.write on the UDP socket sends.
    private static func udpConnect(_ state: LuaState, _ service: Service) -> Int32 {
        guard let id = socketID(state) else { return badArgument(state, 1, "udp_connect", "number") }
        guard let text = state.string(at: 2) else { return badArgument(state, 2, "udp_connect", "string") }
        let portType = state.type(at: 3)
        var host = text
        var port = 0
        if portType != LUA_TNONE && portType != LUA_TNIL {
            guard let p = state.integer(at: 3) else { return badArgument(state, 3, "udp_connect", "number") }
            port = Int(clamping: p)
        } else if let colon = text.lastIndex(of: ":"), let p = Int(text[text.index(after: colon)...]) {
            host = String(text[..<colon])
            if host.first == "[" && host.last == "]" { host = String(host.dropFirst().dropLast()) }
            port = p
        }
        switch service.node.sockets.udpConnect(id, host: host, port: port) {
        case .success:
            return 0
        case .failure(let f):
            return state.raise("udp connect failed: \(f.reason)")
        }
    }

    /// udp_send(id, address, data) -> boolean: one datagram to a `UDPAddress`.
    private static func udpSend(_ state: LuaState, _ service: Service) -> Int32 {
        guard let id = socketID(state) else { return badArgument(state, 1, "udp_send", "number") }
        guard let address = state.bytes(at: 2) else { return badArgument(state, 2, "udp_send", "string") }
        let sockets = service.node.sockets
        return write(state, at: 3, "udp_send") { sockets.udpSend(id, to: address, bytes: $0) }
    }

    /// udp_address(address) -> ip, port.
    private static func udpAddress(_ state: LuaState, _ service: Service) -> Int32 {
        guard let bytes = state.bytes(at: 1) else { return badArgument(state, 1, "udp_address", "string") }
        guard let (ip, port) = UDPAddress.describe(bytes) else { return state.raise("Invalid udp address") }
        do {
            try state.push(ip)
        } catch {
            return state.raise("not enough memory")
        }
        state.push(Int64(port))
        return 2
    }

    /// resolve(host) -> { ip, ... }: every address getaddrinfo gives for the name, as text
    /// (blocking the service, as Skynet's does). Raises getaddrinfo's reason.
    private static func resolve(_ state: LuaState, _ service: Service) -> Int32 {
        guard let host = state.string(at: 1) else { return badArgument(state, 1, "resolve", "string") }
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, nil, nil, &list)
        guard status == 0 else { return state.raise(String(cString: gai_strerror(status))) }
        defer { freeaddrinfo(list) }
        var addresses: [String] = []
        var node = list
        while let info = node?.pointee {
            var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
            if let sockaddr = info.ai_addr {
                let family = info.ai_family
                let raw: UnsafeRawPointer? =
                    family == AF_INET
                    ? UnsafeRawPointer(sockaddr).advanced(by: MemoryLayout<sockaddr_in>.offset(of: \.sin_addr)!)
                    : family == AF_INET6
                        ? UnsafeRawPointer(sockaddr).advanced(by: MemoryLayout<sockaddr_in6>.offset(of: \.sin6_addr)!) : nil
                if let raw, inet_ntop(family, raw, &text, socklen_t(text.count)) != nil {
                    addresses.append(String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
                }
            }
            node = info.ai_next
        }
        let L = state.raw
        guard lua_checkstack(L, 4) != 0 else { return state.raise("stack overflow") }
        guard shim_createtable_protected(L, Int32(clamping: addresses.count), 0) == LUA_OK else { return -1 }
        for (i, address) in addresses.enumerated() {
            if state.pushResult(address) < 0 { return -1 }
            guard shim_rawseti_protected(L, -2, lua_Integer(i + 1)) == LUA_OK else { return -1 }
        }
        return 1
    }

    private static func typeName(_ t: Int32) -> String {
        switch t {
        case LUA_TNIL: return "nil"
        case LUA_TBOOLEAN: return "boolean"
        case LUA_TTABLE: return "table"
        case LUA_TFUNCTION: return "function"
        case LUA_TUSERDATA, LUA_TLIGHTUSERDATA: return "userdata"
        case LUA_TTHREAD: return "thread"
        default: return "value"
        }
    }

    private static func unpack(_ state: LuaState, _ service: Service) -> Int32 {
        let L = state.raw
        guard lua_type(L, 1) == LUA_TLIGHTUSERDATA || lua_type(L, 1) == LUA_TUSERDATA else {
            return badArgument(state, 1, "unpack", "userdata")
        }
        guard let size = state.integer(at: 2),
            let event = SocketEvent.decode(lua_touserdata(L, 1), size: Int(clamping: size))
        else {
            return state.raise("Invalid socket message")
        }
        state.push(Int64(event.kind))
        state.push(Int64(event.id))
        state.push(Int64(event.ud))
        do {
            guard event.kind == SocketEventKind.udp.rawValue else {
                try state.push(bytes: event.bytes)
                return 4
            }
            // a datagram: the payload (ud bytes), then the sender's address
            let count = min(Int(max(event.ud, 0)), event.bytes.count)
            try state.push(bytes: UnsafeRawBufferPointer(rebasing: event.bytes[..<count]))
            try state.push(bytes: UnsafeRawBufferPointer(rebasing: event.bytes[count...]))
            return 5
        } catch {
            return state.raise("not enough memory")
        }
    }

    private static func header(_ state: LuaState, _ service: Service) -> Int32 {
        guard let bytes = state.bytes(at: 1) else { return badArgument(state, 1, "header", "string") }
        guard (1...4).contains(bytes.count) else {
            return state.raise("Invalid read \(String(decoding: bytes, as: UTF8.self))")
        }
        var n: Int64 = 0
        for b in bytes { n = n << 8 | Int64(b) }
        state.push(n)
        return 1
    }

    private static func drop(_ state: LuaState, _ service: Service) -> Int32 {
        if lua_type(state.raw, 1) == LUA_TLIGHTUSERDATA { free(lua_touserdata(state.raw, 1)) }
        return 0
    }

    private static func info(_ state: LuaState, _ service: Service) -> Int32 {
        let L = state.raw
        let sockets = service.node.sockets.info()
        guard lua_checkstack(L, 8) != 0 else { return state.raise("stack overflow") }
        guard shim_createtable_protected(L, Int32(clamping: sockets.count), 0) == LUA_OK else { return -1 }
        for (i, s) in sockets.enumerated() {
            guard shim_createtable_protected(L, 0, 12) == LUA_OK else { return -1 }
            var fields: [(String, Any)] = [("id", Int64(s.id)), ("address", Int64(s.owner)), ("type", s.type)]
            if s.type == "LISTEN" {
                fields.append(("accept", Int64(s.read)))
                if s.rtime > 0 { fields.append(("rtime", Int64(s.rtime))) }
                if !s.name.isEmpty { fields.append(("sock", s.name)) }
            } else {
                fields += [
                    ("read", Int64(s.read)), ("write", Int64(s.write)), ("wbuffer", Int64(s.wbuffer)),
                    ("reading", s.reading), ("writing", s.writing),
                ]
                // Times are node centiseconds; a socket that never read (wrote) has none.
                if s.rtime > 0 { fields.append(("rtime", Int64(s.rtime))) }
                if s.wtime > 0 { fields.append(("wtime", Int64(s.wtime))) }
                if !s.name.isEmpty { fields.append(("peer", s.name)) }
            }
            for (key, value) in fields {
                switch value {
                case let v as Int64: state.push(v)
                case let v as Bool: state.push(v)
                case let v as String: if state.pushResult(v) < 0 { return -1 }
                default: state.pushNil()
                }
                guard shim_rawsetfield_protected(L, -2, key) == LUA_OK else { return -1 }
            }
            guard shim_rawseti_protected(L, -2, lua_Integer(i + 1)) == LUA_OK else { return -1 }
        }
        return 1
    }
}
