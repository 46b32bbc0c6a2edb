import Foundation
import Glibc
import Synchronization
import Testing

/// The debug console over real TCP, inject (the debug protocol's RUN) and the other debug
/// protocol commands: the inject walkthrough word for word (examples/inject and
/// examples/inject_upvalues), the sandbox of a hotfix, and every kind of bad input.
@Suite struct ConsoleTests {
    // MARK: - Nodes

    /// The port of a node's console, read from its log line "Start debug console at IP:PORT".
    static func consolePort(_ node: TestNode, ip: String = "127.0.0.1") throws -> UInt16 {
        let line = try node.output.waitForLog(containing: "Start debug console at \(ip):")
        return try #require(line.split(separator: ":").last.flatMap { UInt16($0) }, "\(line)")
    }

    /// One of the walkthrough's example folders, as the walkthrough has it, except that the
    /// console listens on a free port (0 instead of 9666) and main ticks every 10 centiseconds
    /// instead of every 5 seconds, so that the test does not wait for ticks.
    static func exampleNode(_ example: String) throws -> (TestNode, UInt16) {
        let folder = packageRoot + "/examples/" + example
        var files: [String: String] = [:]
        for name in ["main.lua", "serviceA.lua", "hotfix.lua"] {
            files[name] = try String(contentsOfFile: folder + "/" + name, encoding: .utf8)
        }
        let main = try #require(files["main.lua"])
        #expect(main.contains(#"skynet.newservice("debug_console", "127.0.0.1", "9666")"#))
        #expect(main.components(separatedBy: "skynet.timeout(500, tick)").count == 3)
        files["main.lua"] = main.replacingOccurrences(of: #""9666""#, with: #""0""#)
            .replacingOccurrences(of: "skynet.timeout(500, tick)", with: "skynet.timeout(10, tick)")
        let node = try TestNode(files)
        return (node, try consolePort(node))
    }

    /// A serviceA that answers calls: `foo` returns "foo", `global NAME` the service's global
    /// NAME (as a string). An unknown command raises.
    static let serviceA = luaSource("serviceA.lua")

    /// A node with the console at :00000009 on a free port, serviceA at :0000000a, then each of
    /// `services` (:0000000b, ...).
    static func consoleNode(
        _ files: [String: String] = [:], services: [String] = [],
        environment: [String: String] = [:]
    ) throws -> (TestNode, UInt16) {
        var files = files
        files["serviceA.lua"] = files["serviceA.lua"] ?? serviceA
        files["main.lua"] = luaSource("consoleNode/main.lua")
        var env = environment
        env["test_services"] = services.joined(separator: " ")
        let node = try TestNode(files, environment: env)
        return (node, try consolePort(node))
    }

    /// How Lua names a chunk "@path" in messages (luaO_chunkid with LUA_IDSIZE 60): the path, or
    /// "..." and its last 56 bytes.
    static func chunkId(_ path: String) -> String {
        let bytes = Array(path.utf8)
        if bytes.count <= 59 { return path }
        return "..." + String(decoding: bytes.suffix(56), as: UTF8.self)
    }

    /// serviceA's answer to `call :0a lua foo`.
    static let fooAnswer = "1\tfoo\nn\t1\n<CMD OK>"

    /// The console answers a new connection and serviceA (:0a) still serves (its foo returning `foo`).
    static func expectServing(
        _ port: UInt16, foo: String = "foo", _ comment: Comment? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let answer = try ConsoleClient.run(port: port, lines: ["call :0a lua foo"])
        #expect(answer == "Welcome to skynet console\n1\t\(foo)\nn\t1\n<CMD OK>\n", comment, sourceLocation: sourceLocation)
    }

    /// Lua errors the console service (:00000009) logged: lines with a source position or a traceback.
    static func consoleErrors(_ node: TestNode) -> [String] {
        node.output.log.filter { $0.hasPrefix("[:00000009]") && ($0.contains(".lua:") || $0.contains("traceback")) }
    }

    // MARK: - The hot-update walkthrough's walkthrough

    /// The console's answer to `list` on the walkthrough's node (and on `consoleNode()`).
    static let walkthroughList = """
        :00000004\tsnlua cdummy
        :00000006\tsnlua datacenterd
        :00000007\tsnlua service_mgr
        :00000008\tsnlua main
        :00000009\tsnlua debug_console 127.0.0.1 0
        :0000000a\tsnlua serviceA
        <CMD OK>
        """

    @Test func injectWalkthrough() throws {
        let (node, port) = try Self.exampleNode("inject")
        // Each tick: serviceA prints "foo", then "cmd not found bar".
        try node.output.waitForPrint { $0 == "cmd not found\tbar" }

        let console = try ConsoleSession(port: port)
        #expect(console.greeting == "Welcome to skynet console")
        #expect(try console.run("list") == Self.walkthroughList)

        // echo 'inject :0000000a .../hotfix.lua' | nc 127.0.0.1 PORT
        let hotfix = node.folder.path + "/hotfix.lua"
        let answer = try ConsoleClient.raw(port: port, "inject :0000000a \(hotfix)\n", halfClose: true)
        #expect(answer == "Welcome to skynet console\n<CMD OK>\n")

        var patchedTicks = 0
        try node.output.waitForPrint("two ticks after the hotfix") { line in
            if line == "bar after hotfix" { patchedTicks += 1 }
            return patchedTicks == 2
        }
        // The old handlers up to some message, the new ones from the next: the inject ran
        // between two messages (main sends foo and bar as two messages each tick).
        let lines = node.output.stdout
        let before = ["foo", "cmd not found\tbar"]
        let after = ["foo after hotfix", "bar after hotfix"]
        let switchAt = try #require(lines.firstIndex { after.contains($0) })
        #expect(switchAt >= 2)
        let expected = lines.indices.map { $0 < switchAt ? before[$0 % 2] : after[$0 % 2] }
        #expect(expected == lines)

        // The console is still there for the operator.
        #expect(try console.run("inject :0000000a \(hotfix)") == "<CMD OK>")
    }

    @Test func injectWalkthroughUpvalueVariantKeepsCounting() throws {
        let (node, port) = try Self.exampleNode("inject_upvalues")
        try node.output.waitForPrint { $0.hasPrefix("bar\t") }
        let console = try ConsoleSession(port: port)
        let hotfix = node.folder.path + "/hotfix.lua"
        #expect(try console.run("inject :0000000a \(hotfix)") == "<CMD OK>")
        // The first foo after the hotfix: T.count has jumped by 100.
        let patchedFoo = try node.output.waitForPrint { line in
            line.hasPrefix("foo\t") && line.split(separator: "\t").last.flatMap { Int($0) }.map { $0 >= 100 } == true
        }
        var patchedTicks = 0
        try node.output.waitForPrint("three ticks after the hotfix") { line in
            if line.hasPrefix("bar\t"), line.split(separator: "\t").last.flatMap({ Int($0) }).map({ $0 >= 200 }) == true {
                patchedTicks += 1
            }
            return patchedTicks == 3
        }

        // serviceA starts with N = 1, T.count = 0; foo adds 2 and 1 (after the hotfix 200 and
        // 100, on the same N and T), bar takes 1 from N. Whatever tick the inject fell after,
        // the numbers go on from where they were.
        let lines = node.output.stdout
        let oldTicks = try #require(lines.firstIndex(of: patchedFoo)) / 2
        #expect(oldTicks >= 1)
        var expected: [String] = []
        var n = 1
        var count = 0
        while expected.count < lines.count {
            let patched = expected.count / 2 >= oldTicks
            n += patched ? 200 : 2
            count += patched ? 100 : 1
            expected.append("foo\t\(n)\t\(count)")
            n -= 1
            expected.append("bar\t\(n)")
        }
        #expect(Array(expected.prefix(lines.count)) == lines)
        // In closed form: after k ticks N = k + 1 and T.count = k, so the first patched foo
        // prints N = k + 201 and T.count = k + 100.
        #expect(patchedFoo == "foo\t\(oldTicks + 201)\t\(oldTicks + 100)")
    }

    // MARK: - What a hotfix sees

    @Test func hotfixGetsTheWordsAndItsPrintComesBack() throws {
        let (node, port) = try Self.consoleNode([
            "args.lua": luaSource("hotfixGetsTheWordsAndItsPrintComesBack/args.lua"),
            "quiet.lua": "local x = 1",
            "internals.lua": luaSource("hotfixGetsTheWordsAndItsPrintComesBack/internals.lua"),
        ])
        let dir = node.folder.path
        let console = try ConsoleSession(port: port)
        #expect(
            try console.run("inject :0000000a \(dir)/args.lua xxx yyy") == """
                args\t2\txxx\tyyy
                1\tnil\ttrue\t2.5

                two
                lines
                <CMD OK>
                """)
        #expect(try console.run("inject :0a \(dir)/args.lua") == "args\t0\n1\tnil\ttrue\t2.5\n\ntwo\nlines\n<CMD OK>")
        try node.output.waitForPrint { $0 == "to the node's output" }
        #expect(node.output.stdout.filter { $0 == "to the node's output" }.count == 2)
        // Nothing printed: nothing but the verdict.
        #expect(try console.run("inject a \(dir)/quiet.lua") == "<CMD OK>")
        #expect(
            try console.run("inject :0a \(dir)/internals.lua") == """
                table\tlua\ttrue
                table\ttable
                table\tfunction
                :0000000a
                <CMD OK>
                """)
    }

    @Test func globalWritesStayInTheSandbox() throws {
        let (node, port) = try Self.consoleNode([
            "globals.lua": luaSource("globalWritesStayInTheSandbox/globals.lua")
        ])
        let console = try ConsoleSession(port: port)
        let hotfix = node.folder.path + "/globals.lua"
        // A second inject starts from a fresh sandbox: counter is 1 again.
        for _ in 1...2 {
            #expect(try console.run("inject :0a \(hotfix)") == "1\tfrom the hotfix\tnil\tnil\n<CMD OK>")
        }
        // The service's own globals are untouched.
        #expect(try console.run("call :0a lua global newglobal") == "1\tnil\nn\t1\n<CMD OK>")
        #expect(try console.run("call :0a lua global counter") == "1\tnil\nn\t1\n<CMD OK>")
        // ...and reading one of its globals through the sandbox works.
        #expect(try console.run("call :0a lua global print").hasPrefix("1\tfunction: "))
    }

    /// inject.lua replays its first walk on later injects: after each change to the service
    /// (a handler table replaced or dropped, the dispatch function replaced, a protocol added),
    /// _U and _P must still be what Skynet's walk (written out in the hotfix) finds at that moment.
    @Test func eachInjectSeesTheServiceAsItIsNow() throws {
        let (node, port) = try Self.consoleNode(
            [
                "mutable.lua": luaSource("eachInjectSeesTheServiceAsItIsNow/mutable.lua"),
                // Skynet 1.8's walk, as its lualib/skynet/inject.lua does it.
                "compare.lua": luaSource("eachInjectSeesTheServiceAsItIsNow/compare.lua"),
            ], services: ["mutable"])
        let console = try ConsoleSession(port: port)
        let compare = "inject :0b \(node.folder.path)/compare.lua"
        let steps: [(String, String)] = [
            ("same", "same\ttable\tnil\tnil\tnil"),
            ("newhandles", "same\ttable\tnil\tnil\tnil"),
            ("same", "same\ttable\tnil\tnil\tnil"),
            ("late", "same\ttable\ttable\tnil\tnil"),
            ("nohandles", "same\tnil\ttable\tnil\tnil"),
            ("newhandles", "same\ttable\ttable\tnil\tnil"),
            ("redispatch", "same\tnil\tnil\ttable\tnil"),
            ("newproto", "same\tnil\tnil\ttable\ttable"),
            ("newhandles", "same\tnil\tnil\ttable\ttable"),
        ]
        for (change, seen) in steps {
            #expect(try console.run("call :0b lua \(change)") == "1\t\(change)\nn\t1\n<CMD OK>")
            #expect(try console.run(compare) == seen + "\n<CMD OK>", "after \(change)")
            #expect(try console.run(compare) == seen + "\n<CMD OK>", "after \(change), again")
        }
    }

    // MARK: - Bad input

    /// A line (or raw bytes) that must be refused with `answer`; "$DIR" stands for the node's folder.
    struct BadInput: Sendable {
        let name: String
        let line: String?  // a line ("$DIR" replaced), sent with "\n"
        let bytes: [UInt8]  // or raw bytes, sent as they are
        let answer: String

        init(_ name: String, _ line: String, _ answer: String) {
            self.name = name
            self.line = line
            self.bytes = []
            self.answer = answer + "\n<CMD Error>"
        }

        init(_ name: String, bytes: [UInt8], _ answer: String) {
            self.name = name
            self.line = nil
            self.bytes = bytes
            self.answer = answer + "\n<CMD Error>"
        }

        func input(_ dir: String) -> [UInt8] {
            guard let line else { return bytes }
            return Array((line.replacingOccurrences(of: "$DIR", with: dir) + "\n").utf8)
        }
    }

    static var badInputs: [BadInput] {
        var garbage: [UInt8] = []
        var random = SeededRandom(state: 0x5eed)
        while garbage.count < 3000 {
            let byte = UInt8(truncatingIfNeeded: random.next() >> 56)
            if byte != 10 { garbage.append(byte) }  // one line of it
        }
        garbage[0] = 0xff  // not "GET " or "POST ", not blank
        return [
            BadInput("unknown command", "nosuch :0a", "Invalid command, type help for command list"),
            BadInput("missing address", "inject", "Need an address"),
            BadInput("missing file name", "inject :0000000a", "Need a file name: inject address file.lua"),
            BadInput("missing file", "inject :0000000a /no/such/hotfix.lua", "Can't open /no/such/hotfix.lua (No such file or directory)"),
            BadInput("a folder for a file", "inject :0000000a $DIR", "Can't read $DIR (Is a directory)"),
            BadInput(
                "malformed address", "inject :zz $DIR/hotfix.lua",
                "Invalid address :zz (use :0000000a, .name or a hex number)"),
            BadInput(
                "address too long", "inject 123456789 $DIR/hotfix.lua",
                "Invalid address 123456789 (use :0000000a, .name or a hex number)"),
            BadInput("unknown name", "inject .nobody $DIR/hotfix.lua", "Unknown address .nobody (no service has this name)"),
            BadInput("unknown address", "inject :000000ff $DIR/hotfix.lua", "Unknown address :000000ff (no such service)"),
            BadInput("unknown bare address", "inject ff $DIR/hotfix.lua", "Unknown address :000000ff (no such service)"),
            BadInput(
                "call without arguments", "call :0a", "Need arguments: call address lua-expressions, or call address protocol words..."),
            BadInput("call with bad expressions", "call :0a 1 +", "Invalid arguments: (debug console):1: unexpected symbol near <eof>"),
            BadInput("call to an unknown address", "call :0b lua foo", "Unknown address :0000000b (no such service)"),
            BadInput("call that fails", "call :0a lua nosuch", "call :0000000a failed (the service raised an error, or it exited)"),
            BadInput("unknown debug command", "dbgcmd :0a NOSUCH", "call :0000000a failed (the service raised an error, or it exited)"),
            BadInput("debug command missing", "dbgcmd :0a", "Need a debug command: dbgcmd address COMMAND ..."),
            BadInput("thread name missing", "killtask :0a", "Need a thread name (see task)"),
            BadInput("kill an unknown address", "kill :0b", "Unknown address :0000000b (not in the list)"),
            BadInput("exit an unknown address", "exit .nobody", "Unknown address .nobody (no service has this name)"),
            BadInput("ping without address", "ping", "Need an address"),
            BadInput("signal not a number", "signal :0a TERM", "Invalid signal TERM (a number expected)"),
            BadInput("logon without logpath", "logon :0a", "logon needs the config value logpath"),
            BadInput("start without a name", "start", "Need a service name"),
            BadInput("start a missing service", "start nosuchservice", "Failed to start nosuchservice (see the node log for why)"),
            BadInput("bad timeout", "mem soon", "Invalid timeout (a number of centiseconds expected)"),
            BadInput("setenv without value", "setenv answer", "Need a value: setenv name value"),
            BadInput("over-long line", String(repeating: "x", count: 70000), "Line too long (the limit is 65536 bytes)"),
            BadInput(
                "over-long inject line", "inject :0a " + String(repeating: "y", count: 65600),
                "Line too long (the limit is 65536 bytes)"),
            BadInput("binary garbage", bytes: garbage + [10], "Invalid command, type help for command list"),
            BadInput("control bytes", bytes: [0, 1, 0xff, 0x7f, 0x1b, 0x5b, 0x41, 13, 10], "Invalid command, type help for command list"),
            BadInput("telnet interrupt", bytes: [0xff, 0xf4, 0xff, 0xfd, 0x06, 13, 10], "Invalid command, type help for command list"),
            BadInput("bad HTTP request", "GET", "Invalid command, type help for command list"),
        ]
    }

    @Test func everyBadInputGetsItsReasonAndChangesNothing() throws {
        let (node, port) = try Self.consoleNode([
            // (_G.print: an inject's own print answers on the console, not on the node's output)
            "hotfix.lua": "_P.lua.handles.foo = function() return 'patched' end _G.print('patched')"
        ])
        let dir = node.folder.path
        for bad in Self.badInputs {
            let console = try ConsoleSession(port: port)
            let answer = try console.run(bytes: bad.input(dir))
            #expect(answer == bad.answer.replacingOccurrences(of: "$DIR", with: dir), "\(bad.name)")
            // The same connection goes on; a new one is served; serviceA still has its old foo.
            #expect(try console.run("call :0a lua foo") == Self.fooAnswer, "\(bad.name)")
            try Self.expectServing(port, "\(bad.name)")
        }
        // Nothing was injected, and the console never failed on its own.
        #expect(!node.output.stdout.contains("patched"))
        #expect(Self.consoleErrors(node).isEmpty, "\(Self.consoleErrors(node))")
    }

    @Test func syntaxErrorRunsNothing() throws {
        let (node, port) = try Self.consoleNode([
            // The first two statements would patch foo and print, were the chunk compiled.
            "syntax.lua": luaSource("syntaxErrorRunsNothing/syntax.lua")
        ])
        let path = node.folder.path + "/syntax.lua"
        let console = try ConsoleSession(port: port)
        #expect(try console.run("inject :0a \(path)") == "\(Self.chunkId(path)):3: unexpected symbol near '='\n<CMD Error>")
        #expect(try console.run("call :0a lua foo") == Self.fooAnswer)
        try Self.expectServing(port)
        #expect(!node.output.stdout.contains("the hotfix ran"))
    }

    /// Unlike Skynet, a hotfix that raises half-way changes nothing: what ran before the error is
    /// undone, and the console says so after the hotfix's lines and its error.
    @Test func runtimeErrorHalfWayIsUndoneAndReportsBoth() throws {
        let (node, port) = try Self.consoleNode([
            "halfway.lua": luaSource("runtimeErrorHalfWayIsUndoneAndReportsBoth/halfway.lua"),
            "raise.lua": "print('about to fail', ...) error('custom failure', 0)",
        ])
        let path = node.folder.path + "/halfway.lua"
        let console = try ConsoleSession(port: port)
        #expect(
            try console.run("inject :0a \(path)") == """
                step 1
                step 2
                \(Self.chunkId(path)):5: attempt to index a nil value (local 't')
                nothing was applied: 1 change undone (1 field)
                <CMD Error>
                """)
        #expect(try console.run("call :0a lua foo") == Self.fooAnswer)
        #expect(
            try console.run("inject :0a \(node.folder.path)/raise.lua 7")
                == "about to fail\t7\ncustom failure\nnothing was applied\n<CMD Error>")
        try Self.expectServing(port)
    }

    @Test func clientsThatGoAwayMidCommand() throws {
        let (node, port) = try Self.consoleNode()
        let folder = node.folder
        // It goes on once the test has seen its client go (the file "go" appears).
        try folder.write("slow.lua", luaSource("clientsThatGoAwayMidCommand/slow.lua"))
        // Gone (with a reset) while an inject runs: the inject completes, the answer is dropped.
        do {
            let console = try ConsoleSession(port: port)
            ConsoleClient.write(console.fd, Array("inject :0a \(node.folder.path)/slow.lua\n".utf8))
            try node.output.waitForPrint { $0 == "slow hotfix started" }
            var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
            setsockopt(console.fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        }
        try folder.write("go", "")  // (the connection is reset by now: the inject is still waiting)
        try node.output.waitForPrint { $0 == "slow hotfix finished" }
        #expect(
            try ConsoleClient.run(port: port, lines: ["call :0a lua slow"]) == "Welcome to skynet console\n1\tslow done\nn\t1\n<CMD OK>\n")
        // Half a command; half an over-long line; half an HTTP request; a command and a reset.
        try ConsoleClient.abandon(port: port, sending: "inject :0a \(node.folder.path)/slo")
        try ConsoleClient.abandon(port: port, sending: String(repeating: "z", count: 40000))
        try ConsoleClient.abandon(port: port, sending: "POST / HTTP/1.1\r\nContent-Length: 20\r\n\r\nping")
        try ConsoleClient.abandon(port: port, sending: "GET /list HTTP/1.1\r\nHost: x\r\n")
        try ConsoleClient.abandon(port: port, sending: "call :0a lua foo\n", reset: true)
        _ = try node.output.waitForLogs(containing: "disconnect", count: 6)
        try Self.expectServing(port)
        #expect(node.output.stdout.filter { $0.hasPrefix("slow hotfix") }.count == 2)
        #expect(Self.consoleErrors(node).isEmpty, "\(Self.consoleErrors(node))")
    }

    @Test func severalConnectionsAtOnceAndHTTP() throws {
        let (node, port) = try Self.consoleNode()
        defer { withExtendedLifetime(node) {} }
        let results = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 12) { _ in
            let t = (try? ConsoleClient.run(port: port, lines: ["call :0a lua foo", "list"])) ?? "failed"
            results.withLock { $0.append(t) }
        }
        let list = Self.walkthroughList + "\n"
        #expect(results.withLock { $0 } == Array(repeating: "Welcome to skynet console\n" + Self.fooAnswer + "\n" + list, count: 12))
        // telnet ends lines with "\r\n".
        #expect(try ConsoleClient.run(port: port, lines: ["call :0a lua foo\r"]) == "Welcome to skynet console\n" + Self.fooAnswer + "\n")
        // HTTP: one command, then the console closes the connection.
        let http = try ConsoleClient.raw(port: port, "GET /call/:0a/lua/foo HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(http == "Welcome to skynet console\n" + Self.fooAnswer + "\n")
        let encoded = try ConsoleClient.raw(port: port, "GET /list%20 HTTP/1.1\r\n\r\n")
        #expect(encoded == "Welcome to skynet console\n" + list)
        let post = try ConsoleClient.raw(port: port, "POST / HTTP/1.1\r\nContent-Length: 16\r\n\r\ncall :0a lua foo")
        #expect(post == "Welcome to skynet console\n" + Self.fooAnswer + "\n")
    }

    // MARK: - The other commands

    @Test func callForms() throws {
        let (node, port) = try Self.consoleNode()
        defer { withExtendedLifetime(node) {} }
        let console = try ConsoleSession(port: port)
        // Skynet's form: Lua expressions, sent with the lua protocol.
        #expect(try console.run("call :0a \"global\", \"print\" .. \"x\"") == "1\tnil\nn\t1\n<CMD OK>")
        #expect(try console.run("call 0a 'foo', 1 + 1, {1}") == Self.fooAnswer)
        // The walkthroughs' form: a protocol name and bare words.
        #expect(try console.run("call :0000000a lua global counter") == "1\tnil\nn\t1\n<CMD OK>")
        #expect(try console.run("call .nobody lua foo") == "Unknown address .nobody (no service has this name)\n<CMD Error>")
    }

    @Test func serviceCommands() throws {
        let (node, port) = try Self.consoleNode()
        let console = try ConsoleSession(port: port)
        let help = try console.run("help")
        for line in [
            "inject\tinject address luascript.lua", "list\tList all the service", "signal\tsignal address sig",
            "logon\tlogon address", "call\tcall address ... : call address lua-expressions, or call address proto words",
        ] {
            #expect(help.contains(line + "\n"), "\(line)")
        }
        #expect(help.hasSuffix("<CMD OK>"))
        #expect(try console.run("start serviceA") == ":0000000b\tserviceA\n<CMD OK>")
        #expect(try console.run("call :0b lua foo") == Self.fooAnswer)
        #expect(try console.run("kill :0b") == ":0000000b\tsnlua serviceA\n<CMD OK>")
        #expect(try console.run("call :0b lua foo") == "Unknown address :0000000b (no such service)\n<CMD Error>")
        #expect(try console.run("getenv thread") == "thread\t2\n<CMD OK>")
        #expect(try console.run("setenv console_test yes") == "<CMD OK>")
        #expect(try console.run("getenv console_test") == "console_test\tyes\n<CMD OK>")
        #expect(try console.run("setenv console_test no") == "Can't setenv exist key : console_test\n<CMD Error>")
        #expect(
            try console.run("clearcache")
                == "Skyhost has no code cache to clear: services and injected files are read anew each time\n<CMD OK>")
        let netstat = try console.run("netstat")
        #expect(netstat.contains("type:LISTEN"), "\(netstat)")
        #expect(netstat.contains("address::00000009"), "\(netstat)")
        #expect(try console.run("snax x") == "Failed to start x (see the node log for why)\n<CMD Error>")
        try Self.expectServing(port)
        withExtendedLifetime(node) {}
    }

    /// MEM, GC, STAT, TASK, UNIQTASK, INFO, KILLTASK, SUPPORT, PING, TRACELOG and EXIT, through
    /// the console commands that send them.
    @Test func debugProtocolThroughTheConsole() throws {
        let (node, port) = try Self.consoleNode(
            [
                "tasks.lua": luaSource("debugProtocolThroughTheConsole/tasks.lua")
            ], services: ["tasks"])
        let console = try ConsoleSession(port: port)
        let services = [":00000004", ":00000006", ":00000007", ":00000008", ":00000009", ":0000000a", ":0000000b"]

        // MEM and GC: one line per service.
        for command in ["mem", "gc"] {
            let lines = try console.run(command).split(separator: "\n").map(String.init)
            #expect(lines.last == "<CMD OK>")
            #expect(lines.dropLast().map { String($0.prefix(9)) } == services, "\(lines)")
            for line in lines.dropLast() {
                #expect(line.wholeMatch(of: #/:[0-9a-f]{8}\t\d+\.\d\d Kb \(snlua \w+.*\)/#) != nil, "\(line)")
            }
        }
        _ = try node.output.waitForLogs(containing: "] GC ", count: services.count)
        #expect(node.output.log.contains { $0.hasPrefix("[:0000000b] GC ") && $0.contains(" Kb -> ") && $0.contains(" Kb, cost ") })

        // A request parked in :0b (its caller, another connection, waits).
        let parker = try ConsoleSession(port: port)
        ConsoleClient.write(parker.fd, Array("call :0b lua park\n".utf8))
        try node.output.waitForLog(containing: "[:0000000b] parked")

        let stat = try console.run("stat").split(separator: "\n").map(String.init)
        #expect(stat.dropLast().map { String($0.prefix(9)) } == services, "\(stat)")
        for line in stat.dropLast() {
            #expect(line.wholeMatch(of: #/:[0-9a-f]{8}\tcpu:[0-9.e-]+\tmessage:\d+\tmqlen:\d+\ttask:\d+/#) != nil, "\(line)")
        }
        #expect(stat.first { $0.hasPrefix(":0000000b") }?.hasSuffix("\ttask:2") == true, "\(stat)")

        // TASK: the two parked threads, each with its traceback (the sleeper's passes line 4 of
        // tasks.lua, the parked request's line 10).
        let task = try console.run("task :0b")
        let entries = task.components(separatedBy: "\nthread: ")
        #expect(entries.count == 2 && task.hasPrefix("thread: 0x"), "\(task)")
        let sleeperEntry = try #require(entries.first { $0.contains("tasks.lua:4:") }, "\(task)")
        #expect(entries.contains { $0.contains("tasks.lua:10:") }, "\(task)")
        let sleeper = try #require(sleeperEntry.firstMatch(of: #/0x[0-9a-f]+/#).map { String($0.output) })
        let uniq = try console.run("uniqtask :0b")
        #expect(uniq.matches(of: #/1\tsessions:\[\d+\]/#).count == 2, "\(uniq)")

        // KILLTASK (the thread named as `task` shows it): the sleeper goes; an unknown thread
        // is "Not found".
        #expect(try console.run("killtask :0b \(sleeper)") == "<CMD OK>")
        try node.output.waitForLog(containing: "[:0000000b] Kill thread: \(sleeper)")
        #expect(try console.run("killtask :0b nosuchthread") == "Not found\n<CMD OK>")
        let remaining = try console.run("task :0b")
        #expect(!remaining.contains(sleeper) && remaining.contains("tasks.lua:10:"), "\(remaining)")

        // The parked request is released: its caller gets the answer.
        #expect(try console.run("call :0b lua release") == "1\ttrue\nn\t1\n<CMD OK>")
        #expect(try parker.answer() == "1\treleased\nn\t1\n<CMD OK>")

        // INFO (words passed on), SUPPORT, PING.
        #expect(try console.run("info :0b some words") == "answer\t42\nargs\tsome words\n<CMD OK>")
        #expect(try console.run("info :0a") == "<CMD OK>")
        #expect(try console.run("dbgcmd :0b SUPPORT lua") == "true\n<CMD OK>")
        #expect(try console.run("dbgcmd :0b SUPPORT text") == "false\n<CMD OK>")
        #expect(try console.run("ping :0b").wholeMatch(of: #/\d+\n<CMD OK>/#) != nil)

        // TRACELOG.
        #expect(try console.run("trace :0a on") == "<CMD OK>")
        try node.output.waitForLog(containing: "[:0000000a] Turn trace log true for lua")
        #expect(try console.run("call :0a lua foo") == Self.fooAnswer)
        try node.output.waitForLog { $0.hasPrefix("[:0000000a] <TRACE :0000000a-") && $0.hasSuffix(" end") }
        #expect(try console.run("trace :0a lua off") == "<CMD OK>")
        try node.output.waitForLog(containing: "[:0000000a] Turn trace log false for lua")

        // EXIT: the service goes away and leaves the list.
        #expect(try console.run("exit :0b") == "<CMD OK>")
        #expect(try console.run("ping :0b").hasSuffix("<CMD Error>"))
        #expect(!(try console.run("list")).contains(":0000000b"))
        try Self.expectServing(port)
    }

    /// TERM, LINK and the rest of the debug protocol as a Lua service uses it.
    @Test func debugProtocolFromLua() throws {
        let node = try TestNode([
            "target.lua": luaSource("debugProtocolFromLua/target.lua"),
            "main.lua": luaSource("debugProtocolFromLua/main.lua"),
        ])
        try node.output.waitForLog(containing: "DONE")
        let failures = node.output.log.filter { $0.contains("FAIL") }
        #expect(failures.isEmpty, "\(failures)")
        #expect(node.output.log.filter { $0.contains("] ok ") || $0.hasSuffix("] ok") }.count == 19)
        #expect(node.output.log.contains { $0.hasPrefix("[:00000009] GC ") })
        #expect(node.output.log.contains { $0.hasPrefix("[:00000009] Turn trace log true for lua") })
        #expect(node.output.log.contains { $0.hasPrefix("[:00000009] Turn trace log false for lua") })
        #expect(node.output.log.contains { $0.hasPrefix("[:00000009] <TRACE :00000009-") })
    }

    @Test func signalInterruptsALoopingService() throws {
        let (node, port) = try Self.consoleNode(
            [
                "looper.lua": luaSource("signalInterruptsALoopingService/looper.lua")
            ], services: ["looper"])
        for signal in ["signal :0b", "signal :0000000b 0"] {
            let count = node.output.log.filter { $0.contains("[:0000000b] looping") }.count
            let looped = try ConsoleSession(port: port)
            ConsoleClient.write(looped.fd, Array("call :0b lua loop\n".utf8))
            _ = try node.output.waitForLogs(containing: "[:0000000b] looping", count: count + 1)
            let console = try ConsoleSession(port: port)
            #expect(try console.run(signal) == "<CMD OK>")
            // The loop raises "signal 0": its caller's call fails, the service goes on.
            #expect(try looped.answer() == "call :0000000b failed (the service raised an error, or it exited)\n<CMD Error>")
            #expect(try console.run("call :0b lua ping") == "1\talive\nn\t1\n<CMD OK>")
        }
        // Per signal: "recv a signal 0", then the interrupted call's error.
        #expect(node.output.log.filter { $0.hasPrefix("[:0000000b]") && $0.contains("signal 0") }.count == 4)
        try Self.expectServing(port)
    }

    @Test func logonAndLogoffKeepAMessageLog() throws {
        let logs = try ServiceFolder([:])
        let (node, port) = try Self.consoleNode(environment: ["logpath": logs.path])
        let console = try ConsoleSession(port: port)
        #expect(try console.run("logon :0a") == "<CMD OK>")
        let file = logs.path + "/0000000a.log"
        try node.output.waitForLog(containing: "Open log file \(file)")
        #expect(try console.run("call :0a lua foo") == Self.fooAnswer)
        #expect(try console.run("logoff :0000000a") == "<CMD OK>")
        try node.output.waitForLog(containing: "Close log file \(file)")
        let lines = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("open time: ") == true, "\(lines)")
        #expect(lines.last?.hasPrefix("close time: ") == true, "\(lines)")
        // The call: from the console, protocol 10 (lua), a session, a time, the packed "foo".
        #expect(lines.contains { $0.wholeMatch(of: #/:00000009 10 \d+ \d+ 1c666f6f/#) != nil }, "\(lines)")
        // `log` starts a service with its log on.
        #expect(try console.run("log serviceA") == ":0000000b\tserviceA\n<CMD OK>")
        try node.output.waitForLog(containing: "Open log file \(logs.path)/0000000b.log")
        #expect(try console.run("logoff :0b") == "<CMD OK>")
        try Self.expectServing(port)
    }
}
