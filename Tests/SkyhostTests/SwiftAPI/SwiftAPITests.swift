import Foundation
import Logging
import Skyhost
import Synchronization
import Testing

/// The Swift API for hosts: every entry point, including its errors.
@Suite(.serialized) struct SwiftAPITests {
    static let counter = luaSource("counter.lua")

    static let idleMain = luaSource("idleMain.lua")

    func startNode(_ files: [String: String] = [:]) throws -> TestNode {
        var all = files
        all["main.lua"] = all["main.lua"] ?? Self.idleMain
        all["counter.lua"] = Self.counter
        return try TestNode(all)
    }

    @Test func launchCallSendAndValuesRoundTrip() async throws {
        let t = try startNode()
        let counter = try await t.node.launch("counter")
        #expect(try await t.node.call(counter, ["add", 5]) == [5])
        try t.node.send(counter, ["add", 2])
        #expect(try await t.node.call(counter, ["get"]) == [7])
        let table: LuaValue = ["name": "sword", "damage": 12.5, "tags": ["sharp", "old"], "ok": true]
        let big = LuaValue.integer(1 << 40)
        let echoed = try await t.node.call(counter, ["echo", table, big, -3, "", LuaValue.nil, 7])
        #expect(echoed.first == table)
        #expect(Array(echoed.dropFirst()) == [big, -3, "", LuaValue.nil, 7])
    }

    @Test func servicesListsNamesMemoryAndQueues() async throws {
        let t = try startNode()
        let counter = try await t.node.launch("counter", ["x", "y"])
        let list = t.node.services()
        let launcher = try #require(list.first { $0.names.contains(".launcher") })
        #expect(launcher.address == ServiceAddress(3))
        let c = try #require(list.first { $0.address == counter })
        #expect(c.launchName == "snlua counter x y")
        #expect(c.memory > 10_000)
        #expect(c.queueLength == 0)
    }

    @Test func errorsAreTyped() async throws {
        let t = try startNode()
        let counter = try await t.node.launch("counter")
        await #expect(throws: SkyhostError.self) { try await t.node.call(counter, ["raise"]) }
        do {
            _ = try await t.node.call(counter, ["raise"])
        } catch let e as SkyhostError {
            guard case .callFailed = e else {
                Issue.record("expected callFailed, got \(e)")
                return
            }
        }
        // a Lua function cannot cross: the service's retpack raises, the call fails
        await #expect { try await t.node.call(counter, ["func"]) } throws: {
            ($0 as? SkyhostError).map { if case .callFailed = $0 { true } else { false } } ?? false
        }
        // the service still serves after both
        #expect(try await t.node.call(counter, ["get"]) == [0])
        // unknown address and name
        await #expect(throws: SkyhostError.invalidAddress(":00ffffff")) { try await t.node.call(ServiceAddress(0xffffff), ["get"]) }
        await #expect(throws: SkyhostError.invalidAddress(".nobody")) { try await t.node.call(".nobody", "get") }
        // a dead service
        // (the service exits inside the inject, so the inject itself cannot be answered)
        await #expect(throws: SkyhostError.self) { try await t.node.inject(into: counter, source: "require('skynet').exit()") }
        await #expect(throws: SkyhostError.self) { try await t.node.call(counter, ["get"]) }
        // a Swift value too deep to pack
        var deep: LuaValue = 1
        for _ in 0..<40 { deep = ["next": deep] }
        let other = try await t.node.launch("counter")
        let tooDeep = deep
        await #expect { try await t.node.call(other, ["echo", tooDeep]) } throws: {
            ($0 as? SkyhostError).map { if case .unsupportedValue = $0 { true } else { false } } ?? false
        }
        // a launch that fails
        await #expect { try await t.node.launch("no_such_service") } throws: {
            ($0 as? SkyhostError).map { if case .launchFailed = $0 { true } else { false } } ?? false
        }
    }

    @Test func shutdownFailsCallsInFlightAndNothingHangs() async throws {
        let t = try startNode()
        let counter = try await t.node.launch("counter")
        let stuck = Task { try await t.node.call(counter, ["never"]) }
        try await t.output.waitForLogAsync(containing: "never answers")
        t.node.shutdown()
        await #expect(throws: SkyhostError.nodeStopped) { try await stuck.value }
        await #expect(throws: SkyhostError.nodeStopped) { try await t.node.call(counter, ["get"]) }
    }

    @Test func injectAndReload() async throws {
        let t = try startNode([
            "greet.lua": "return { text = 'old' }",
            "user.lua": luaSource("injectAndReload/user.lua"),
        ])
        let user = try await t.node.launch("user")
        let out = try await t.node.inject(into: user, source: "print('hello', ...)", arguments: ["a", "b"])
        #expect(out == "hello\ta\tb")
        await #expect { try await t.node.inject(into: user, source: "print('half') error('stop here')") } throws: { e in
            guard case .hotfixFailed(let why) = e as? SkyhostError else { return false }
            return why.contains("half") && why.contains("stop here")
        }
        try t.folder.write("greet.lua", "return { text = 'new' }")
        try await t.node.reload(module: "greet", in: user)
        #expect(try await t.node.call(user, ["get"]) == ["new"])
        try t.folder.write("greet.lua", "return { text = ")  // broken: the old module stays
        await #expect(throws: SkyhostError.self) { try await t.node.reload(module: "greet", in: user) }
        #expect(try await t.node.call(user, ["get"]) == ["new"])
        try t.folder.write("greet.lua", "return { text = 'newest' }")
        let results = await t.node.reload(module: "greet")
        #expect(results[user].map { if case .success = $0 { true } else { false } } == true)
        #expect(try await t.node.call(user, ["get"]) == ["newest"])
    }

    @Test func environmentIsReadAndWritten() async throws {
        let t = try startNode()
        t.node.setenv("api_key", "v1")
        #expect(t.node.getenv("api_key") == "v1")
        #expect(t.node.getenv("thread") == "2")
        let reader = try await t.node.launch("counter")
        let value = try await t.node.inject(into: reader, source: "print(require('skynet').getenv('api_key'))")
        #expect(value == "v1")
    }

    @Test func swiftServiceIsReachedFromLuaAndCallsLuaBack() async throws {
        let t = try startNode([
            "client.lua": luaSource("swiftServiceIsReachedFromLuaAndCallsLuaBack/client.lua")
        ])
        let counter = try await t.node.launch("counter")
        try t.node.register(name: ".scores") { request in
            guard let cmd = request.arguments.first?.stringValue else { throw SkyhostError.unsupportedValue("no command") }
            switch cmd {
            case "double":
                return [.integer((request.arguments[1].integerValue ?? 0) * 2)]
            case "via_counter":
                // call a Lua service back from the Swift handler
                return try await request.node.call(counter, ["add", request.arguments[1]])
            default:
                throw SkyhostError.unsupportedValue("unknown command \(cmd)")
            }
        }
        let client = try await t.node.launch("client")
        #expect(try await t.node.call(client, ["double", 21]) == [42])
        #expect(try await t.node.call(client, ["via_counter", 10]) == [10])
        await #expect(throws: SkyhostError.self) { try await t.node.call(client, ["nonsense"]) }
        #expect(t.node.services().contains { $0.names.contains(".scores") && $0.launchName == "swift .scores" })
    }

    @Test func logRoutesToSwiftLog() async throws {
        let collected = CollectedLogs()
        let logger = Logger(label: "skyhost.test") { _ in collected }
        let folder = try ServiceFolder(["main.lua": luaSource("logRoutesToSwiftLog/main.lua")])
        let node = Node(
            configuration: NodeConfiguration(environment: [
                "luaservice": folder.path + "/?.lua", "thread": "1",
            ]), output: .logging(to: logger))
        try node.start()
        defer { node.shutdown() }
        try await collected.waitFor { $0.contains { $0.message == "printed" } }
        try await collected.waitFor { $0.contains { $0.message == "to swift-log" && $0.service == ":00000008" } }
    }
}

/// A swift-log handler that keeps what it gets.
final class CollectedLogs: LogHandler, @unchecked Sendable {
    struct Entry: Sendable {
        let message: String
        let service: String?
    }
    private let entries = Mutex<[Entry]>([])
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let service = event.metadata?["service"].map { "\($0)" }
        let message = event.message
        changed.lock()
        entries.withLock { $0.append(Entry(message: message.description, service: service)) }
        changed.broadcast()
        changed.unlock()
    }

    private let changed = NSCondition()

    /// Waits (on a thread of its own, not the test's task) until the entries satisfy `predicate`.
    func waitFor(_ predicate: @escaping @Sendable ([Entry]) -> Bool) async throws {
        let ok: Bool = await withCheckedContinuation { continuation in
            Thread.detachNewThread { [self] in
                let deadline = Date().addingTimeInterval(10)
                changed.lock()
                var satisfied = entries.withLock { predicate($0) }
                while !satisfied, changed.wait(until: deadline) || Date() < deadline {
                    satisfied = entries.withLock { predicate($0) }
                }
                changed.unlock()
                continuation.resume(returning: satisfied)
            }
        }
        if !ok { throw TestTimeout(what: "log entries", log: entries.withLock { $0.map(\.message) }, stdout: []) }
    }
}
