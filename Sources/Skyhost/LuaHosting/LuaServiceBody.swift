import CLua
import CSkyhostNative
import Foundation
import Glibc
import Lua

/// A Lua service (Skynet's `snlua`): its own `lua_State`, with `skynet.core` bound to it.
final class LuaServiceBody: ServiceBody {
    /// The state and its binding (and the pool, which must outlive the state's blocks).
    private let prepared: PreparedLuaState
    private var state: LuaState { prepared.state }
    private var binding: UnsafeMutablePointer<skyhost_binding> { prepared.binding }
    private let loaderPath: String
    private var initialized = false
    /// Set when the loader has run: the end of the next message asks for the collector's switch
    /// to generational mode (see `runLoader`).
    private var generationalPending = false
    /// What the old state handed over, while a reload in place starts this one.
    private(set) var handover: UnsafeMutableRawBufferPointer?
    /// The code of each file of the service's own this state loaded (the runtime's files
    /// excepted), the service's file first: what a rollback of a later reload starts again.
    private(set) var loadedCode: [CodeCache.Code] = []
    /// In a state a reload's rollback started: the code it runs for these paths, whatever the
    /// files hold now.
    var pinnedCode: [String: CodeCache.Code]?

    /// Binds a prepared state (made ahead by `BlankStates`, or now) to `service`.
    init(service: Service, environment: [String: String], prepared: PreparedLuaState?) throws {
        self.prepared = try prepared ?? PreparedLuaState(node: service.node)
        loaderPath = environment["lualoader"] ?? ""
        binding.pointee.ctx = Unmanaged.passUnretained(service).toOpaque()
        binding.pointee.handle = service.handle
        try state.setGlobal("LUA_PATH", environment["lua_path"] ?? "")
        try state.setGlobal("LUA_CPATH", environment["lua_cpath"] ?? "")
        try state.setGlobal("LUA_SERVICE", environment["luaservice"] ?? "")
        if let preload = environment["preload"], !preload.isEmpty {
            try state.setGlobal("LUA_PRELOAD", preload)
        }
    }

    var memoryUsed: Int { skyhost_memory_used(binding) }

    /// Blocks its Lua heap holds (from any thread).
    var memoryBlocks: Int { skyhost_memory_blocks(binding) }

    func dispatch(_ message: Message, in service: Service) {
        guard initialized else {
            initialized = true
            let args = message.data.map { String(decoding: UnsafeRawBufferPointer(start: $0, count: message.size), as: UTF8.self) } ?? ""
            runLoader(args: args, in: service)
            return
        }
        let status = skyhost_dispatch(state.raw, message.type, message.data, message.size, message.session, message.source)
        if status != LUA_OK {
            let why = status == -1 ? "no message callback (skynet.start not called?)" : (state.string(at: -1) ?? "?")
            service.node.log(
                source: service.handle,
                // Skynet's line, word for word: the source in bare hex, the service as REG gives
                // it, the error in red.
                "lua call [\(String(message.source, radix: 16)) to :\(String(service.handle, radix: 16)) : \(message.session) msgsz = \(message.size)] error : \u{1B}[31m\(why)\u{1B}[0m"
            )
            state.top = 0
        }
        if binding.pointee.memory.warned != 0 {
            binding.pointee.memory.warned = 0
            let mb = Double(skyhost_memory_used(binding)) / 1_048_576
            service.node.log(source: service.handle, "Memory warning \(String(format: "%.2f", mb)) M")
        }
        if generationalPending {
            // A message of its own, which goes through the ready queue: the worker that runs
            // this one goes on with whoever this message woke (the launcher, told that the start
            // function has returned), and the switch waits for a free worker.
            generationalPending = false
            service.node.deliver(Message(source: 0, session: 0, type: Message.collectorType, data: nil, size: 0), to: service)
        }
    }

    private func runLoader(args: String, in service: Service) {
        do {
            try load(args: args)
        } catch {
            service.node.log(source: service.handle, "lua loader error : \(error)")
            // Tell the launcher, so that the caller of newservice gets an error, then exit.
            let (data, size) = Message.payload(copying: Array("ERROR".utf8))
            if let launcher = service.node.handles.handle(named: ".launcher") {
                service.node.deliver(
                    Message(source: service.handle, session: 0, type: ProtocolType.text.rawValue, data: data, size: size), to: launcher)
            } else {
                free(data)
            }
            service.requestExit()
        }
    }

    /// Starts this state in place of another (a reload in place): runs the loader with the
    /// service's launch arguments now, instead of on a first message. Its start function then
    /// reports to the reload rather than to the launcher.
    func start(launchArguments: String) throws {
        initialized = true
        try load(args: launchArguments)
    }

    /// Notes that this state loaded the source of `path` with SHA-1 `checksum`.
    func recordLoad(path: String, checksum: UnsafePointer<CChar>, node: Node) {
        guard !node.isRuntimeFile(path), path != loaderPath else { return }
        let code: CodeCache.Code?
        if let pinned = pinnedCode?[path], memcmp(pinned.checksum, checksum, 40) == 0 {
            code = pinned
        } else {
            code = node.codeCache.current(path: path, checksum: checksum)
        }
        guard let code else { return }
        if let i = loadedCode.firstIndex(where: { $0.path == path }) {
            loadedCode[i] = code
        } else {
            loadedCode.append(code)
        }
    }

    /// Keeps a copy of what the old state hands over, for `skynet.reloaded`.
    func keepHandover(_ bytes: [UInt8]) {
        dropHandover()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 8)
        buffer.copyBytes(from: bytes)
        handover = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<bytes.count])
    }

    /// Frees the handover once the start is over.
    func dropHandover() {
        handover.map { UnsafeMutableRawPointer($0.baseAddress!).deallocate() }
        handover = nil
    }

    /// Runs the loader with the launch string `args`; throws what it raised.
    private func load(args: String) throws {
        // As snlua: no collection while the service loads (its heap only grows then: the
        // prepared state holds the collector, skyhost_gc_hold), and the generational collector
        // afterwards, which suits services' many short-lived message tables. Switching runs a
        // full collection; asked for at the end of the next message (normally the start
        // function, which has then told the launcher) and done in a runtime message of its own,
        // so it is not part of what newservice waits for. Until then the pause is the default
        // again, so that a start function that allocates a lot is collected as usual once the
        // heap has grown tenfold.
        defer {
            state.top = 0
            skyhost_forget_prepared(state.raw)
            skyhost_gc_release(state.raw)
            generationalPending = true
        }
        try state.check(skyhost_loadfile_protected(state.raw, loaderPath))
        try state.push(args)
        try state.call(arguments: 1, results: 0)
    }

    /// Switches the collector to generational mode (which runs a full collection): the
    /// runtime's `collectorType` message, sent after the first message that followed the loader.
    func switchToGenerational() {
        skyhost_gc_generational(state.raw)
    }

    /// Interrupts the running Lua code with `signal 0` (from any thread).
    func signal() {
        skyhost_signal(binding)
    }

    func close(_ service: Service) {
        state.close()
    }

    deinit {
        dropHandover()
        prepared.discard()
    }
}
