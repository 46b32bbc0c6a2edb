import Foundation
import Synchronization

/// A snapshot of one service, as `list` and `mem` show it.
public struct ServiceInfo: Sendable, Hashable {
    /// Its handle.
    public let address: ServiceAddress
    /// How it was launched, e.g. `snlua serviceA` (native services: their kind).
    public let launchName: String
    /// Names bound to it (`.launcher`, `DATACENTER`, ...).
    public let names: [String]
    /// Bytes its Lua state holds (0 for native services).
    public let memory: Int
    /// Messages waiting in its mailbox.
    public let queueLength: Int
}

extension Node {
    /// Creates a node from a Skynet-style config file (see `NodeConfiguration`).
    public convenience init(configFile: String, output: NodeOutput = .standard) throws {
        self.init(configuration: try NodeConfiguration(contentsOfFile: configFile), output: output)
    }

    /// Every live service, in handle order.
    public func services() -> [ServiceInfo] {
        let names = handles.allNames()
        return handles.all().map { s in
            ServiceInfo(
                address: ServiceAddress(s.handle),
                launchName: s.launchName,
                names: names.filter { $0.value == s.handle }.map(\.key).sorted(),
                memory: s.signalTarget.withLock { $0?.memoryUsed ?? 0 },
                queueLength: s.mailbox.count)
        }
    }

    /// Resolves `:0000000a`, `.name` or a global name to a live service's address.
    public func address(of name: String) throws -> ServiceAddress {
        guard let handle = resolve(name), handles.lookup(handle) != nil else {
            throw SkyhostError.invalidAddress(name)
        }
        return ServiceAddress(handle)
    }

    /// Sends a `lua` message (`skynet.send(address, "lua", ...)`); no answer is awaited.
    public func send(_ address: ServiceAddress, _ values: [LuaValue]) throws {
        let (endpoint, _) = try hostEndpointAndBody()
        let bytes = try packForCall(values)
        let (data, size) = Message.payload(copying: bytes)
        let m = Message(source: endpoint.handle, session: 0, type: ProtocolType.lua.rawValue, data: data, size: size)
        guard deliver(m, to: address.rawValue) else { throw SkyhostError.invalidAddress(address.description) }
    }

    /// Sends a `lua` message to a named service.
    public func send(_ name: String, _ values: LuaValue...) throws {
        try send(address(of: name), values)
    }

    /// `skynet.call(address, "lua", ...)`: returns what the service's handler returned with
    /// `skynet.ret` / `retpack`. Throws `callFailed` when the handler raises or the service dies
    /// first, `invalidAddress` when there is no such service, `nodeStopped` when the node stops.
    public func call(_ address: ServiceAddress, protocol type: ProtocolType = .lua, _ values: [LuaValue]) async throws -> [LuaValue] {
        let bytes = try packForCall(values)
        let (endpoint, body) = try hostEndpointAndBody()
        return try await withCheckedThrowingContinuation { continuation in
            guard let session = body.register(continuation) else {
                continuation.resume(throwing: SkyhostError.nodeStopped)
                return
            }
            let (data, size) = Message.payload(copying: bytes)
            let m = Message(source: endpoint.handle, session: session, type: type.rawValue, data: data, size: size)
            if !deliver(m, to: address.rawValue) {
                body.fail(session: session, isRunning ? SkyhostError.invalidAddress(address.description) : .nodeStopped)
            }
        }
    }

    /// `skynet.call` to a named service (`.name`, `:0000000a`, a global name).
    public func call(_ name: String, _ values: LuaValue...) async throws -> [LuaValue] {
        try await call(address(of: name), values)
    }

    /// Launches `snlua name args...` through the launcher, as `skynet.newservice` does: returns
    /// once the service's start function has returned.
    public func launch(_ name: String, _ arguments: [String] = []) async throws -> ServiceAddress {
        let launcher = try address(of: ".launcher")
        let values: [LuaValue] = ["LAUNCH", "snlua", .string(name)] + arguments.map { .string($0) }
        let reply: [LuaValue]
        do {
            reply = try await call(launcher, values)
        } catch SkyhostError.callFailed {
            throw SkyhostError.launchFailed("\(name): not found, or its start function raised (see the log)")
        }
        guard let handle = reply.first?.integerValue else {
            throw SkyhostError.launchFailed("\(name) exited while starting")
        }
        return ServiceAddress(UInt32(truncatingIfNeeded: handle))
    }

    /// Runs hotfix source inside a service (the console's `inject`: `_P`, `_U`, `...`), between
    /// two of its messages; returns what the hotfix printed. Throws `hotfixFailed` with the
    /// output and the error when it does not compile or raises.
    public func inject(into address: ServiceAddress, source: String, filename: String = "inject", arguments: [String] = []) async throws
        -> String
    {
        try await runHotfix(address, ["RUN", .string(source), .string(filename)] + arguments.map { .string($0) })
    }

    /// Sends a debug RUN or INJECT (`values`) and returns the hotfix's output; throws
    /// `hotfixFailed` with the output when it failed.
    func runHotfix(_ address: ServiceAddress, _ values: [LuaValue]) async throws -> String {
        let reply = try await call(address, protocol: .debug, values)
        let output = Self.secondString(of: reply)
        guard reply.first == .bool(true) else { throw SkyhostError.hotfixFailed(output) }
        return output
    }

    /// A debug command's second value as a string ("" if none): the hotfix's output, or the
    /// reason after a nil / false first value.
    static func secondString(of reply: [LuaValue]) -> String {
        reply.count > 1 ? reply[1].stringValue ?? "" : ""
    }

    /// The running Lua (`snlua`) services.
    func luaServices() -> [ServiceInfo] {
        services().filter { $0.launchName.hasPrefix("snlua ") }
    }

    /// Runs `body` for every target at once; each target's result (an error that is not a
    /// `SkyhostError` becomes `hotfixFailed`).
    func forEachService<T: Sendable>(
        _ targets: [ServiceInfo],
        _ body: @escaping @Sendable (ServiceAddress) async throws -> T
    ) async -> [ServiceAddress: Result<T, SkyhostError>] {
        var results: [ServiceAddress: Result<T, SkyhostError>] = [:]
        await withTaskGroup(of: (ServiceAddress, Result<T, SkyhostError>).self) { group in
            for target in targets {
                group.addTask {
                    do {
                        return (target.address, .success(try await body(target.address)))
                    } catch let e as SkyhostError {
                        return (target.address, .failure(e))
                    } catch {
                        return (target.address, .failure(.hotfixFailed("\(error)")))
                    }
                }
            }
            for await (address, result) in group { results[address] = result }
        }
        return results
    }

    /// Injects a hotfix file (read now, from disk).
    public func inject(into address: ServiceAddress, file: String, arguments: [String] = []) async throws -> String {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw SkyhostError.hotfixFailed("Can't open \(file)")
        }
        return try await inject(into: address, source: String(decoding: data, as: UTF8.self), filename: file, arguments: arguments)
    }

    /// Reloads a Lua module in one service (`HotFix.reload`: the edited file is read anew; if the
    /// new code fails, the old module stays and the error is thrown).
    public func reload(module: String, in address: ServiceAddress) async throws {
        _ = try await inject(into: address, source: Self.reloadSource, filename: "reload", arguments: [module])
    }

    /// Reload a module only where it is loaded (`reload(module:)` across every service).
    private static let onlyIfLoaded = "if-loaded"

    /// Reloads a Lua module in every Lua service that has loaded it; the result per service.
    public func reload(module: String) async -> [ServiceAddress: Result<Void, SkyhostError>] {
        await forEachService(luaServices()) { address in
            _ = try await self.inject(
                into: address, source: Self.reloadSource, filename: "reload",
                arguments: [module, Self.onlyIfLoaded])
        }
    }

    /// Runs inside the service: `HotFix.reload(name)`, skipped when the second argument asks for
    /// loaded modules only and this service has not loaded it.
    static let reloadSource = """
        local name, only_if_loaded = ...
        if only_if_loaded and package.loaded[name] == nil then print("skipped") return end
        local ok, err = require("hotfix").reload(name)
        if not ok then error(tostring(err), 0) end
        print("reloaded " .. name)
        """

    /// Registers a service written in Swift under `name` (e.g. `.scores`). Lua services reach it
    /// with `skynet.call(".scores", "lua", ...)` / `skynet.send`; `handler` receives the
    /// arguments and returns the values of the reply (ignored for `send`). A thrown error makes
    /// the caller's `skynet.call` raise `call failed`, as a Lua handler's error does. The
    /// handler may itself `call` Lua services.
    @discardableResult
    public func register(name: String, handler: @escaping @Sendable (ServiceRequest) async throws -> [LuaValue]) throws -> ServiceAddress {
        guard isRunning else { throw SkyhostError.nodeStopped }
        let service = handles.register { Service(handle: $0, node: self, launchName: "swift \(name)") }
        service.body = SwiftServiceBody(node: self, handler: handler)
        guard bind(name: name, to: service.handle) else {
            handles.retire(service.handle)
            throw SkyhostError.invalidAddress("\(name) is already taken")
        }
        log(source: service.handle, "LAUNCH swift \(name)")
        return ServiceAddress(service.handle)
    }

    private func packForCall(_ values: [LuaValue]) throws -> [UInt8] {
        do {
            return try SkynetPack.pack(values)
        } catch {
            throw SkyhostError.unsupportedValue("\(error)")
        }
    }
}

/// One message to a Swift service.
public struct ServiceRequest: Sendable {
    /// Who sent it.
    public let source: ServiceAddress
    /// True for a `call` (the handler's result is the reply), false for a `send`.
    public let expectsReply: Bool
    /// The `skynet.pack`ed arguments.
    public let arguments: [LuaValue]
    /// The node, to call other services back.
    public let node: Node
}
