import CSkyhostNative
import Glibc
import Lua

/// The `struct skyhost_host` function table through which the C half of `skynet.core` reaches
/// the runtime. `ctx` is always the calling `Service`, unretained (the service outlives its
/// Lua state).
enum HostBridge {
    static func service(_ ctx: UnsafeMutableRawPointer?) -> Service {
        Unmanaged<Service>.fromOpaque(ctx!).takeUnretainedValue()
    }

    /// One immutable table for every node: it holds only function pointers.
    nonisolated(unsafe) static let table: UnsafePointer<skyhost_host> = {
        let t = UnsafeMutablePointer<skyhost_host>.allocate(capacity: 1)
        t.initialize(
            to: skyhost_host(
                has_module: { ctx, name in
                    HostBridge.service(ctx).node.nativeModules.module(named: name!) == nil ? 0 : 1
                },
                open_module: { ctx, L, name in
                    let service = HostBridge.service(ctx)
                    let state = LuaState(borrowing: L!)
                    guard let module = service.node.nativeModules.module(named: name!) else {
                        return state.raise("no native module \(String(cString: name!))")
                    }
                    return module.open(state, service)
                },
                send: { ctx, source, dest, ptype, session, data, size in
                    let service = HostBridge.service(ctx)
                    let m = Message(source: source, session: session, type: ptype, data: data, size: size)
                    return service.node.deliver(m, to: dest, from: service) ? 0 : -1
                },
                sendname: { ctx, source, name, ptype, session, data, size in
                    let service = HostBridge.service(ctx)
                    let m = Message(source: source, session: session, type: ptype, data: data, size: size)
                    return service.node.deliver(m, toName: String(cString: name!), from: service) ? 0 : -1
                },
                genid: { ctx in
                    HostBridge.service(ctx).nextSession()
                },
                command: { ctx, cmd, param in
                    let service = HostBridge.service(ctx)
                    let result = CoreCommands.run(String(cString: cmd!), param.map { String(cString: $0) }, from: service)
                    return service.storeCommandResult(result)
                },
                log: { ctx, text, size in
                    let service = HostBridge.service(ctx)
                    let s = String(decoding: UnsafeRawBufferPointer(start: text, count: size), as: UTF8.self)
                    service.node.log(source: service.handle, s)
                },
                print: { ctx, text, size in
                    let service = HostBridge.service(ctx)
                    service.node.output.print(String(decoding: UnsafeRawBufferPointer(start: text, count: size), as: UTF8.self))
                },
                now: { ctx in
                    HostBridge.service(ctx).node.now()
                },
                code_lookup: { ctx, path, stamp, source, size, bytecode, bytecodeSize, checksum in
                    let cache = HostBridge.service(ctx).node.codeCache
                    let path = String(cString: path!)
                    let found =
                        source == nil
                        ? stamp.flatMap { cache.lookup(path: path, stamp: $0.pointee) }
                        : cache.lookup(path: path, source: UnsafeRawBufferPointer(start: source, count: size), stamp: stamp?.pointee)
                    guard let code = found else { return nil }
                    bytecode!.pointee = UnsafeRawPointer(code.bytecode.baseAddress!)
                    bytecodeSize!.pointee = code.bytecodeCount
                    checksum!.pointee = UnsafePointer(code.checksum)
                    return Unmanaged.passRetained(code).toOpaque()
                },
                code_release: { _, token in
                    Unmanaged<CodeCache.Code>.fromOpaque(token!).release()
                },
                code_store: { ctx, path, stamp, source, size, bytecode, bytecodeSize, checksum in
                    let code = HostBridge.service(ctx).node.codeCache.store(
                        path: String(cString: path!),
                        stamp: stamp?.pointee,
                        source: UnsafeRawBufferPointer(start: source, count: size),
                        bytecode: UnsafeRawBufferPointer(start: bytecode, count: bytecodeSize))
                    checksum!.update(from: code.checksum, count: 41)
                },
                reload: { ctx, step, requester, session, data, size, text in
                    let service = HostBridge.service(ctx)
                    let bytes = UnsafeRawBufferPointer(start: data, count: size)
                    return service.node.reloadStep(
                        service, String(cString: step!), requester: requester, session: session, data: bytes,
                        text: String(cString: text!)) ? 0 : -1
                },
                code_pinned: { ctx, path, bytecode, bytecodeSize, checksum in
                    guard let body = HostBridge.service(ctx).body as? LuaServiceBody, let pinned = body.pinnedCode,
                        let code = pinned[String(cString: path!)]
                    else { return nil }
                    bytecode!.pointee = UnsafeRawPointer(code.bytecode.baseAddress!)
                    bytecodeSize!.pointee = code.bytecodeCount
                    checksum!.pointee = UnsafePointer(code.checksum)
                    return Unmanaged.passRetained(code).toOpaque()
                },
                code_loaded: { ctx, path, checksum in
                    let service = HostBridge.service(ctx)
                    guard let body = service.body as? LuaServiceBody else { return }
                    body.recordLoad(path: String(cString: path!), checksum: checksum!, node: service.node)
                },
                handover: { ctx, size in
                    guard let handover = (HostBridge.service(ctx).body as? LuaServiceBody)?.handover,
                        let bytes = handover.baseAddress
                    else { return nil }
                    size!.pointee = handover.count
                    return UnsafeRawPointer(bytes)
                }))
        return UnsafePointer(t)
    }()
}
