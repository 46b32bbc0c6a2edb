import Foundation
import Glibc
import Testing

/// skynet.socket over the node's SwiftNIO sockets, and the debug console on top of it.
@Suite struct SocketTests {
    /// Reads lines, answers each one; hands sockets over from the listener's owner (abandon +
    /// start in another service, as Skynet's gate/agent pattern).
    static let agent = """
        local skynet = require "skynet"
        local socket = require "skynet.socket"
        skynet.start(function()
            skynet.dispatch("lua", function(_, _, cmd, id)
                skynet.ret(skynet.pack(true))
                skynet.fork(function()
                    assert(socket.start(id))
                    while true do
                        local line = socket.readline(id)
                        if not line then break end
                        if line == "big" then socket.write(id, string.rep("x", 300000))
                        elseif line == "quit" then socket.write(id, "bye") socket.close(id) return
                        else socket.write(id, "echo:" .. line .. "\\n") end
                    end
                    socket.close(id)
                end)
            end)
        end)
        """

    static let holder = """
        local skynet = require "skynet"
        local socket = require "skynet.socket"
        skynet.start(function()
            local lid, _, port = socket.listen("127.0.0.1", 0)
            socket.start(lid, function(id) socket.start(id) end)
            skynet.dispatch("lua", function(_, _, cmd)
                if cmd == "port" then skynet.ret(skynet.pack(port)) else skynet.exit() end
            end)
        end)
        """

    @Test func listenConnectReadWriteAndClose() throws {
        let node = try TestNode([
            "agent.lua": Self.agent,
            "holder.lua": Self.holder,
            "main.lua": """
                local skynet = require "skynet"
                local socket = require "skynet.socket"
                local function check(cond, ...) skynet.error(cond and "ok" or "FAIL", ...) end
                skynet.start(function()
                    local lid, ip, port = socket.listen("127.0.0.1", 0)
                    check(ip == "127.0.0.1" and port > 0, "listen", ip, port)
                    local agent = skynet.newservice("agent")
                    socket.start(lid, function(id, addr)
                        check(addr:match("^127%.0%.0%.1:%d+$"), "accept addr", addr)
                        skynet.call(agent, "lua", "serve", id)
                    end)

                    local c, err = socket.open("127.0.0.1", port)
                    check(c, "open", err)
                    socket.write(c, "hel")
                    socket.write(c, { "lo\\nwor", "ld", "\\n" })
                    check(socket.readline(c) == "echo:hello", "readline")
                    check(socket.read(c, 5) == "echo:", "read n")
                    check(socket.readline(c, "\\n") == "world", "readline sep")
                    socket.write(c, "big\\n")
                    local big = socket.read(c, 300000)
                    check(big and #big == 300000, "read big")
                    socket.write(c, "quit\\n")
                    local a, b = socket.read(c, 100)
                    check(a == false and b == "bye", "read at close", a, b)
                    check(socket.disconnected(c), "disconnected")
                    socket.close(c)
                    check(socket.invalid(c), "invalid")
                    check(socket.write(c, "x") == false, "write to closed")

                    local lid2, _, port2 = socket.listen("127.0.0.1:0")
                    socket.close(lid2)
                    local c2, err2 = socket.open("127.0.0.1", port2)
                    check(c2 == nil and err2 == "Connection refused", "refused", err2)
                    check(not pcall(socket.listen, "127.0.0.1", port), "listen on a used port fails")

                    local got
                    local lid3, _, port3 = socket.listen("127.0.0.1", 0)
                    socket.start(lid3, function(id) socket.start(id) got = socket.readall(id) socket.close(id) end)
                    local c3 = socket.open("127.0.0.1", port3)
                    socket.write(c3, "all of it")
                    socket.close(c3)
                    skynet.sleep(20)
                    check(got == "all of it", "readall", got)

                    local holder = skynet.newservice("holder")
                    local hport = skynet.call(holder, "lua", "port")
                    local c4 = socket.open("127.0.0.1", hport)
                    skynet.send(holder, "lua", "exit")
                    check(socket.read(c4) == false, "an exiting service's sockets close")
                    socket.close(c4)
                    check(socket.open("127.0.0.1", hport) == nil, "and its listener")
                    skynet.error("DONE")
                end)
                """,
        ])
        try node.output.waitForLog(containing: "DONE", timeout: 20)
        let failures = node.output.log.filter { $0.contains("FAIL") }
        #expect(failures.isEmpty, "\(failures)")
        #expect(node.output.log.filter { $0.contains("] ok ") }.count == 16)
    }

    static let serviceA = """
        local skynet = require "skynet"
        local handles = {}
        handles.foo = function() print("foo") end
        skynet.start(function()
            skynet.dispatch("lua", function(session, source, cmd, ...)
                local handle = handles[cmd]
                if handle then handle() else print("cmd not found", cmd) end
                if session ~= 0 then skynet.ret(skynet.pack(cmd, ...)) end
            end)
        end)
        """

    /// A node with a console on a free port; returns it and the port.
    static func consoleNode(_ extra: [String: String] = [:]) throws -> (TestNode, UInt16) {
        var files = extra
        files["serviceA.lua"] = serviceA
        files["main.lua"] = """
            local skynet = require "skynet"
            skynet.start(function()
                skynet.newservice("debug_console", "127.0.0.1", "0")
                skynet.newservice("serviceA")
            end)
            """
        let node = try TestNode(files)
        let line = try node.output.waitForLog(containing: "Start debug console at 127.0.0.1:")
        let port = try #require(line.split(separator: ":").last.flatMap { UInt16($0) }, "\(line)")
        return (node, port)
    }

    @Test func consoleAnswersCommandsAndBadInput() throws {
        let (node, port) = try Self.consoleNode([
            "hotfix.lua": """
                local handles = _P.lua.handles
                handles.bar = function() _G.print("bar after hotfix") end
                print("patched", ...)
                """,
            "broken.lua": "print('half') local x = nil; x.y = 1",
        ])
        let hotfix = node.folder.path + "/hotfix.lua"
        let broken = node.folder.path + "/broken.lua"
        #expect(broken.count > 60)
        let transcript = try ConsoleClient.run(port: port, lines: [
            "list",
            "inject :0000000a \(hotfix) xxx yyy",
            "call :0a lua bar 1",
            "call :0a \"bar\", 2",
            "nosuch",
            "inject :0a /no/such/file.lua",
            "inject :0a \(broken)",
            "ping :ff",
            "ping .nobody",
            "ping",
            String(repeating: "x", count: 70000),
            "\u{1}\u{2}\u{ff}\u{fe} garbage",
            "ping 0a",
        ])
        // Lua shortens long chunk names ("...st-XXXX/broken.lua").
        let shown = transcript.replacingOccurrences(of: #"\n[^\n]*broken\.lua:1:"#, with: "\nBROKEN:1:", options: .regularExpression)
        #expect(shown == """
            Welcome to skynet console
            :00000004\tsnlua cdummy
            :00000006\tsnlua datacenterd
            :00000007\tsnlua service_mgr
            :00000008\tsnlua main
            :00000009\tsnlua debug_console 127.0.0.1 0
            :0000000a\tsnlua serviceA
            <CMD OK>
            patched\txxx\tyyy
            <CMD OK>
            1\tbar
            2\t1
            n\t2
            <CMD OK>
            1\tbar
            2\t2
            n\t2
            <CMD OK>
            Invalid command, type help for command list
            <CMD Error>
            Can't open /no/such/file.lua
            <CMD Error>
            half
            BROKEN:1: attempt to index a nil value (local 'x')
            <CMD Error>
            call to invalid address :000000ff
            <CMD Error>
            Unknown address .nobody (no service has this name)
            <CMD Error>
            Need an address
            <CMD Error>
            Line too long (the limit is 65536 bytes)
            <CMD Error>
            Invalid command, type help for command list
            <CMD Error>
            0
            <CMD OK>

            """)
        _ = try node.output.waitForPrint { $0 == "bar after hotfix" }
    }

    @Test func consoleServesSeveralConnectionsAndSurvivesDisconnects() throws {
        let (node, port) = try Self.consoleNode()
        defer { withExtendedLifetime(node) {} }
        // A client that leaves half a command, one that resets the connection mid-command.
        try ConsoleClient.abandon(port: port, sending: "call :0a lua fo")
        try ConsoleClient.abandon(port: port, sending: "call :0a lua foo\n", reset: true)
        let results = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 12) { _ in
            let t = (try? ConsoleClient.run(port: port, lines: ["ping :0a"])) ?? "failed"
            results.withLock { $0.append(t) }
        }
        // ping answers the round trip in centiseconds: 0 on a quiet machine, a few when loaded
        let answers = results.withLock { $0 }
        #expect(answers.count == 12)
        for answer in answers {
            let lines = answer.split(separator: "\n")
            #expect(lines.count == 3 && lines[0] == "Welcome to skynet console" && Int(lines[1]).map { $0 < 100 } == true && lines[2] == "<CMD OK>", "\(answer)")
        }
        // HTTP: one command, then the console closes the connection.
        let http = try ConsoleClient.raw(port: port, "GET /ping/:0a HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(http == "Welcome to skynet console\n0\n<CMD OK>\n")
        let post = try ConsoleClient.raw(port: port, "POST / HTTP/1.1\r\nContent-Length: 8\r\n\r\nping :0a")
        #expect(post == "Welcome to skynet console\n0\n<CMD OK>\n")
    }
}

import Synchronization

/// A blocking TCP client for the console.
enum ConsoleClient {
    struct Failure: Error, CustomStringConvertible { let description: String }

    static func connect(_ port: UInt16) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket failed") }
        var tv = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else {
            close(fd)
            throw Failure(description: "connect failed: \(errno)")
        }
        return fd
    }

    static func write(_ fd: Int32, _ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n <= 0 { return }
            offset += n
        }
    }

    /// Reads until the peer closes, or until the output has `until` complete "<CMD ...>" lines.
    static func read(_ fd: Int32, until answers: Int? = nil) -> String {
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            if let answers {
                let text = String(decoding: data, as: UTF8.self)
                let done = text.components(separatedBy: "\n").filter { $0 == "<CMD OK>" || $0 == "<CMD Error>" }.count
                if done >= answers { return text }
            }
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { return String(decoding: data, as: UTF8.self) }
            data.append(contentsOf: buffer[0..<n])
        }
    }

    /// Sends each line, then reads until every command has answered.
    static func run(port: UInt16, lines: [String]) throws -> String {
        let fd = try connect(port)
        defer { close(fd) }
        write(fd, Array((lines.joined(separator: "\n") + "\n").utf8))
        return read(fd, until: lines.count)
    }

    /// Sends `text` and reads until the console closes the connection.
    static func raw(port: UInt16, _ text: String) throws -> String {
        let fd = try connect(port)
        defer { close(fd) }
        write(fd, Array(text.utf8))
        return read(fd)
    }

    /// Sends `text` and goes away (with a reset if asked).
    static func abandon(port: UInt16, sending text: String, reset: Bool = false) throws {
        let fd = try connect(port)
        write(fd, Array(text.utf8))
        if reset {
            var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
            setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        }
        close(fd)
    }
}
