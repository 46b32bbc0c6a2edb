import Foundation
import Testing

@testable import Skyhost

/// All-or-nothing inject, the patch stack and rollback, patch history and module
/// versions, broadcast inject and check-before-apply, through the real console (and the updater
/// and the Swift API for rollback).
@Suite struct SafePatchTests {
    /// An agent whose observable behaviour depends on two tables (handles, config), a local
    /// function reached through an upvalue (greet), a metatable and a global: `dump` answers all
    /// of it as one string, `hit` counts in `state` (data the handlers change).
    static let agent = luaSource("agent.lua")

    /// Changes two tables, joins an upvalue, sets an upvalue, replaces a metatable and writes a
    /// global, then raises.
    static let failingHotfix = luaSource("failingHotfix.lua")

    static let renameHotfix = luaSource("renameHotfix.lua")

    static func node(
        _ files: [String: String] = [:], services: [String] = ["agent", "agent", "agent odd"],
        environment: [String: String] = [:]
    ) throws -> (TestNode, UInt16) {
        var all = files
        all["agent.lua"] = agent
        all["fail.lua"] = failingHotfix
        all["rename.lua"] = renameHotfix
        all["main.lua"] = luaSource("node/main.lua")
        var env = environment
        env["test_services"] = services.joined(separator: ",")
        let node = try TestNode(all, environment: env)
        _ = try node.output.waitForPrint { $0 == "ready" }
        return (node, try ConsoleTests.consolePort(node))
    }

    @Test func aHotfixThatFailsAfterChangingTwoTablesAndJoiningAnUpvalueChangesNothing() throws {
        let (node, port) = try Self.node()
        let console = try ConsoleSession(port: port)
        let before = try console.run("call :0a lua dump")
        let greetBefore = try console.run("call :0a lua greet you")
        #expect(try console.run("call :0a lua hit") == "1\t1\nn\t1\n<CMD OK>")
        let answer = try console.run("inject :0a \(node.folder.path)/fail.lua")
        #expect(answer.hasPrefix("changed everything\n"))
        #expect(answer.contains("fails after the changes"))
        #expect(answer.contains("nothing was applied: 8 changes undone (5 fields, 1 upvalue, 1 upvalue join, 1 metatable)"), "\(answer)")
        #expect(answer.hasSuffix("<CMD Error>"))
        // Byte for byte what it answered before, and the data goes on from where it was.
        #expect(try console.run("call :0a lua dump") == before)
        #expect(try console.run("call :0a lua greet you") == greetBefore)
        #expect(try console.run("call :0a lua hit") == "1\t2\nn\t1\n<CMD OK>")
        #expect(try console.run("patches :0a") == ":0000000a runs no patch\n<CMD OK>")
    }

    @Test func deferredEffectsRunOnlyWhenTheHotfixSucceedsAndCompensationsWhenItFails() throws {
        let (node, port) = try Self.node([
            "effects.lua": luaSource("deferredEffectsRunOnlyWhenTheHotfixSucceedsAndCompensationsWhenItFails/effects.lua")
        ])
        let console = try ConsoleSession(port: port)
        #expect(try console.run("inject :0a \(node.folder.path)/effects.lua fail").hasSuffix("<CMD Error>"))
        _ = try node.output.waitForPrint { $0 == "compensation ran" }
        #expect(!node.output.stdout.contains("deferred effect ran"))
        #expect(try console.run("call :0a lua greet me") == "1\thello me\nn\t1\n<CMD OK>")
        #expect(try console.run("inject :0a \(node.folder.path)/effects.lua") == "<CMD OK>")
        _ = try node.output.waitForPrint { $0 == "deferred effect ran" }
        #expect(try console.run("call :0a lua greet me") == "1\they me\nn\t1\n<CMD OK>")
        // The helpers belong to the inject: what it installed does not see them afterwards.
        #expect(try console.run("call :0a lua helpers_left") == "1\tnil nil\nn\t1\n<CMD OK>")
        // Rolling the patch back runs its compensation too, and restores the greeting.
        #expect(try console.run("rollback :0a").hasSuffix("<CMD OK>"))
        #expect(node.output.stdout.filter { $0 == "compensation ran" }.count == 2)
        #expect(try console.run("call :0a lua greet me") == "1\thello me\nn\t1\n<CMD OK>")
    }

    @Test func rollbackRestoresFunctionsAndKeepsTheDataHandlersChanged() throws {
        let (node, port) = try Self.node([
            "counting.lua": luaSource("rollbackRestoresFunctionsAndKeepsTheDataHandlersChanged/counting.lua")
        ])
        let console = try ConsoleSession(port: port)
        #expect(try console.run("inject :0a \(node.folder.path)/rename.lua") == "<CMD OK>")
        #expect(try console.run("inject :0a \(node.folder.path)/counting.lua") == "<CMD OK>")
        #expect(try console.run("call :0a lua greet me") == "1\tv2 hello me\nn\t1\n<CMD OK>")
        #expect(try console.run("call :0a lua hit") == "1\t10\nn\t1\n<CMD OK>")
        #expect(try console.run("call :0a lua hit") == "1\t20\nn\t1\n<CMD OK>")
        let patches = try console.run("patches :0a").split(separator: "\n")
        #expect(patches.count == 3)
        #expect(patches[0].hasPrefix("#1 inject \(node.folder.path)/rename.lua sha1:"))
        #expect(patches[1].hasPrefix("#2 inject \(node.folder.path)/counting.lua sha1:"))
        #expect(patches[1].hasSuffix("by anonymous: 1 field"))
        // Undo both, last first: the old functions, the counter where the patched handler left it.
        #expect(
            try console.run("rollback :0a 2") == """
                rolled back #2 inject \(node.folder.path)/counting.lua: 1 restored
                rolled back #1 inject \(node.folder.path)/rename.lua: 1 restored
                <CMD OK>
                """)
        #expect(try console.run("call :0a lua hit") == "1\t21\nn\t1\n<CMD OK>")
        #expect(try console.run("call :0a lua greet me") == "1\thello me\nn\t1\n<CMD OK>")
        #expect(try console.run("rollback :0a") == "only 0 patches to roll back\n<CMD Error>")
        #expect(try console.run("rollback :0a x") == "the number of patches to roll back must be a positive integer\n<CMD Error>")
    }

    @Test func aSlotChangedSinceThePatchIsKept() throws {
        let (node, port) = try Self.node([
            "limit.lua": "_P.lua.config.limit = 5 _P.lua.config.greeting = 'hi'",
            "later.lua": "_P.lua.handles.tune = function(v) _P.lua.config.limit = v return v end",
        ])
        let console = try ConsoleSession(port: port)
        #expect(try console.run("inject :0a \(node.folder.path)/limit.lua") == "<CMD OK>")
        // A handler (`tune`, installed by a second patch) changes limit after the first patch.
        #expect(try console.run("inject :0a \(node.folder.path)/later.lua") == "<CMD OK>")
        #expect(try console.run("call :0a lua tune 9") == "1\t9\nn\t1\n<CMD OK>")
        #expect(
            try console.run("rollback :0a 2") == """
                rolled back #2 inject \(node.folder.path)/later.lua: 1 restored
                rolled back #1 inject \(node.folder.path)/limit.lua: 1 restored, 1 kept (changed since the patch)
                <CMD OK>
                """)
        let dump = try console.run("call :0a lua dump")
        #expect(dump.contains("greeting=hello,limit=9|hello x"), "\(dump)")
    }

    @Test func broadcastWithOneFailingServiceRollsTheOthersBack() throws {
        let (node, port) = try Self.node(
            [
                "even.lua": "_P.lua.handles.greet = function() return 'even' end if _P.lua.config.odd then error('odd one out') end"
            ], services: ["agent", "agent", "agent odd", "updater"])
        let console = try ConsoleSession(port: port)
        let path = node.folder.path + "/even.lua"
        let answer = try console.run("injectall agent \(path) rollback")
        let lines = answer.split(separator: "\n").map(String.init)
        #expect(lines[0].hasPrefix("broadcast b1:00000009: \(path) into 3 services started from agent: 2 applied, 1 failed"), "\(answer)")
        #expect(lines.contains(":0000000a ok: patch #1 (1 field)"))
        #expect(lines.contains(":0000000b ok: patch #1 (1 field)"))
        #expect(
            lines.contains {
                $0.hasPrefix(":0000000c FAILED:") && $0.contains("odd one out") && $0.contains("nothing was applied: 1 change undone")
            })
        #expect(lines.contains(":0000000a rolled back #1 inject \(path): 1 restored"))
        #expect(lines.contains(":0000000b rolled back #1 inject \(path): 1 restored"))
        #expect(lines.last == "<CMD Error>")
        for address in [":0a", ":0b", ":0c"] {
            #expect(try console.run("call \(address) lua greet me") == "1\thello me\nn\t1\n<CMD OK>")
        }
        // Without `rollback` the two stay patched; rollbackall undoes them by the broadcast id.
        let second = try console.run("injectall agent \(path)")
        #expect(second.hasPrefix("broadcast b2:00000009:"))
        #expect(try console.run("call :0b lua greet me") == "1\teven\nn\t1\n<CMD OK>")
        #expect(try console.run("patches :0b").contains("(broadcast b2:00000009)"))
        #expect(
            try console.run("rollbackall b2:00000009") == """
                :0000000a rolled back #2 inject \(path): 1 restored
                :0000000b rolled back #2 inject \(path): 1 restored
                <CMD OK>
                """)
        #expect(try console.run("call :0b lua greet me") == "1\thello me\nn\t1\n<CMD OK>")
        #expect(try console.run("rollbackall b2:00000009") == "no running service has a patch of broadcast b2:00000009\n<CMD Error>")
        #expect(try console.run("injectall nosuch \(path)") == "no running service was started from nosuch\n<CMD Error>")
        // The updater's inject_all does the same.
        let viaUpdater = try console.run("call .updater lua inject_all agent \(path) rollback")
        #expect(viaUpdater.contains("2 applied, 1 failed") && viaUpdater.contains(":0000000b rolled back #3 inject"), "\(viaUpdater)")
        #expect(try console.run("call :0b lua greet me") == "1\thello me\nn\t1\n<CMD OK>")
    }

    @Test func checkCompilesAndNamesWhatTheTargetLacksWithoutRunning() throws {
        let (node, port) = try Self.node([
            "probe.lua": luaSource("checkCompilesAndNamesWhatTheTargetLacksWithoutRunning/probe.lua"),
            "broken.lua": "_P.lua.handles.greet = = 1",
        ])
        let console = try ConsoleSession(port: port)
        #expect(
            try console.run("check :0a \(node.folder.path)/probe.lua") == """
                compiles
                uses _P.lua.handles, _U.proto, _P.lua.nosuch, _P.lua.config, _P.client, _U.missing_table
                line 4: _P.lua.nosuch is not in the target
                line 6: _P.client is not in the target
                line 7: _U.missing_table is not in the target
                1 use of _U / _P not checked (not a plain field access)
                <CMD Error>
                """)
        #expect(
            try console.run("check :0a \(node.folder.path)/broken.lua")
                == "syntax error: \(ConsoleTests.chunkId(node.folder.path + "/broken.lua")):1: unexpected symbol near '='\n<CMD Error>")
        #expect(try console.run("check :0a \(node.folder.path)/rename.lua") == "compiles\nuses _P.lua.handles\n<CMD OK>")
        #expect(try console.run("call :0a lua greet me") == "1\thello me\nn\t1\n<CMD OK>")
        #expect(!node.output.stdout.contains("probe ran"))
        #expect(try console.run("patches :0a") == ":0000000a runs no patch\n<CMD OK>")
    }

    @Test func versionsShowWhichServiceRunsWhichModuleFileAndRollbackGoesBack() throws {
        let module = "return { text = 'one' }\n"
        let (node, port) = try Self.node(
            [
                "shared.lua": module,
                "user.lua": luaSource("versionsShowWhichServiceRunsWhichModuleFileAndRollbackGoesBack/user.lua"),
            ], services: ["user", "user", "updater"])
        let console = try ConsoleSession(port: port)
        let one = try Self.sha1(module)
        #expect(try console.run("versions shared") == "shared sha1:\(one.prefix(12)) 2 services: :0000000a :0000000b\n<CMD OK>")
        try node.folder.write("shared.lua", "return { text = 'two' }\n")
        let two = try Self.sha1("return { text = 'two' }\n")
        #expect(try console.run("call .updater lua update_module shared").contains("OK: update_module shared: reloaded in 2 of "))
        #expect(try console.run("call :0a lua text") == "1\ttwo\nn\t1\n<CMD OK>")
        #expect(try console.run("versions shared") == "shared sha1:\(two.prefix(12)) 2 services: :0000000a :0000000b\n<CMD OK>")
        let patches = try console.run("patches :0b")
        #expect(patches.hasPrefix("#1 reload shared sha1:\(two.prefix(12))"), "\(patches)")
        #expect(patches.contains("module shared \(one.prefix(8)) -> \(two.prefix(8))"))
        // The updater rolls :0b back: old module in package.loaded and in the handler's upvalue.
        let rolled = try console.run("call .updater lua rollback :0000000b")
        #expect(rolled.contains("rolled back #1 reload shared: module shared restored, 1 reference rebound"), "\(rolled)")
        #expect(try console.run("call :0b lua text") == "1\tone\nn\t1\n<CMD OK>")
        #expect(try console.run("call :0a lua text") == "1\ttwo\nn\t1\n<CMD OK>")
        let lines = ["shared sha1:\(one.prefix(12)) 1 service: :0000000b", "shared sha1:\(two.prefix(12)) 1 service: :0000000a"]
        #expect(try console.run("versions shared") == (lines.sorted() + ["<CMD OK>"]).joined(separator: "\n"))
    }

    /// A module file left alone for a while is loaded without being read again (by its stat
    /// stamp, or from a state prepared ahead): every service still knows which version it runs.
    @Test func versionsAreKnownForModulesLoadedWithoutReadingTheFile() throws {
        let count = 40
        let (node, port) = try Self.node(
            [
                "settled_user.lua": luaSource("versionsAreKnownForModulesLoadedWithoutReadingTheFile/settled_user.lua")
            ], services: Array(repeating: "settled_user", count: count))
        let file = packageRoot + "/lualib/update_auth.lua"
        let version = try Self.sha1(try String(contentsOfFile: file, encoding: .utf8))
        let console = try ConsoleSession(port: port)
        let answer = try console.run("versions update_auth")
        let lines = answer.split(separator: "\n")
        #expect(lines.count == 2 && lines[1] == "<CMD OK>", "one version: \(answer)")
        #expect(lines[0].hasPrefix("update_auth sha1:\(version.prefix(12)) "), "\(answer)")
        let services = Int(lines[0].split(separator: " ")[2]) ?? 0
        #expect(services >= count, "every test service: \(answer)")
        withExtendedLifetime(node) {}
    }

    @Test func patchesRecordTheTokensOperator() throws {
        let key = "test-key-" + UUID().uuidString
        let (node, port) = try Self.node(
            [
                "tokens.lua": luaSource("patchesRecordTheTokensOperator/tokens.lua")
            ], services: ["agent", "tokens"], environment: ["update_key": key])
        let token = String(try node.output.waitForPrint { $0.hasPrefix("TOKEN ") }.dropFirst(6))
        let console = try ConsoleSession(port: port)
        let path = node.folder.path + "/rename.lua"
        #expect(try console.run("inject :0a \(path)").hasSuffix("<CMD Error>"))
        #expect(try console.run("rollback :0a").contains("a token is required"))
        #expect(try console.run("injectall agent \(path)").contains("a token is required"))
        #expect(try console.run("inject :0a \(path) --token \(token)") == "<CMD OK>")
        let source = try String(contentsOfFile: path, encoding: .utf8)
        let patches = try console.run("patches :0a")
        #expect(patches.hasPrefix("#1 inject \(path) sha1:\(try Self.sha1(source).prefix(12)) "))
        #expect(patches.contains(" by alice: 1 field"))
        #expect(try console.run("rollback :0a --token \(token)").hasPrefix("rolled back #1"))
    }

    @Test func theSwiftAPIListsAndRollsBackPatches() async throws {
        let (node, _) = try Self.node(services: ["agent", "agent odd"])
        let agent = ServiceAddress(0x0a)
        _ = try await node.node.inject(into: agent, file: node.folder.path + "/rename.lua")
        let patches = try await node.node.patches(of: agent)
        #expect(patches.map(\.id) == [1])
        #expect(patches.first?.kind == "inject")
        #expect(patches.first?.summary == "1 field")
        #expect(try await node.node.call(agent, ["greet", "me"]) == ["v2 hello me"])
        let lines = try await node.node.rollback(agent)
        #expect(lines.count == 1)
        #expect(try await node.node.call(agent, ["greet", "me"]) == ["hello me"])
        await #expect(throws: SkyhostError.rollbackFailed("only 0 patches to roll back")) {
            try await node.node.rollback(agent)
        }
        // A broadcast from Swift, failing in the odd one: the others are rolled back.
        let source = "_P.lua.handles.greet = function() return 'even' end if _P.lua.config.odd then error('odd') end"
        let (id, results) = await node.node.inject(intoServicesOf: "agent", source: source, rollbackOnFailure: true)
        #expect(results.count == 2)
        #expect(results[ServiceAddress(0x0b)].map { if case .failure = $0 { true } else { false } } == true)
        #expect(try await node.node.call(agent, ["greet", "me"]) == ["hello me"])
        let (id2, _) = await node.node.inject(intoServicesOf: "agent", source: source)
        #expect(id2 != id)
        #expect(try await node.node.call(agent, ["greet", "me"]) == ["even"])
        let undone = await node.node.rollback(broadcast: id2)
        #expect(undone.count == 1)
        #expect(try await node.node.call(agent, ["greet", "me"]) == ["hello me"])
    }

    /// The SHA-1 of `text` as `sha1sum` prints it (the tool an operator checks a version with).
    static func sha1(_ text: String) throws -> String {
        let pipe = Pipe()
        let input = Pipe()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sha1sum")
        process.standardInput = input
        process.standardOutput = pipe
        try process.run()
        input.fileHandleForWriting.write(Data(text.utf8))
        try input.fileHandleForWriting.close()
        process.waitUntilExit()
        let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        try #require(process.terminationStatus == 0 && out.count >= 40, "sha1sum: \(out)")
        return String(out.prefix(40))
    }
}
