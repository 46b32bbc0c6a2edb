import Foundation
import Testing

/// send / call / ret and their error semantics, on a real node.
@Suite struct MessagingTests {
    static let echo = """
        local skynet = require "skynet"
        skynet.start(function()
            skynet.dispatch("lua", function(session, source, cmd, ...)
                if cmd == "echo" then
                    skynet.retpack(...)
                elseif cmd == "add" then
                    local a, b = ...
                    skynet.ret(skynet.pack(a + b))
                elseif cmd == "raise" then
                    error("handler exploded")
                elseif cmd == "forget" then
                    -- returns without replying
                elseif cmd == "later" then
                    local respond = skynet.response()
                    skynet.fork(function()
                        skynet.sleep(1)
                        respond(true, "answered later")
                    end)
                elseif cmd == "note" then
                    skynet.error("note", ...)
                end
            end)
        end)
        """

    @Test func callReturnsTheRepliedValues() throws {
        let node = try TestNode([
            "echo.lua": Self.echo,
            "main.lua": """
                local skynet = require "skynet"
                skynet.start(function()
                    local echo = skynet.newservice("echo")
                    local a, b, c = skynet.call(echo, "lua", "echo", 1, "two", { three = 3 })
                    skynet.error("echo", a, b, c.three)
                    skynet.error("add", skynet.call(echo, "lua", "add", 40, 2))
                    skynet.error("later", skynet.call(echo, "lua", "later"))
                end)
                """,
        ])
        try node.output.waitForLog(containing: "later answered later")
        #expect(node.output.log.contains("[:00000008] echo 1 two 3"))
        #expect(node.output.log.contains("[:00000008] add 42"))
    }

    @Test func failingHandlerMakesTheCallRaiseCallFailed() throws {
        let node = try TestNode([
            "echo.lua": Self.echo,
            "main.lua": """
                local skynet = require "skynet"
                skynet.start(function()
                    local echo = skynet.newservice("echo")
                    local ok, err = pcall(skynet.call, echo, "lua", "raise")
                    skynet.error("raised", ok, err)
                    skynet.error("still serving", skynet.call(echo, "lua", "add", 1, 1))
                end)
                """,
        ])
        try node.output.waitForLog(containing: "still serving 2")
        let raised = try #require(node.output.log.first { $0.contains("raised false") })
        #expect(raised.contains("call failed"))
        // The callee logs the traceback of its handler's error.
        let traceback = try #require(node.output.log.first { $0.contains("handler exploded") })
        #expect(traceback.hasPrefix("[:00000009]"))
        #expect(traceback.contains("stack traceback") || node.output.log.contains { $0.contains("stack traceback") })
    }

    /// The logger (a native service with nothing to answer) fails a call to it at once, after
    /// printing the message, instead of leaving the caller waiting for ever.
    @Test func aCallToTheLoggerFailsInsteadOfHanging() throws {
        let node = try TestNode(["main.lua": """
            local skynet = require "skynet"
            skynet.register_protocol {
                name = "text", id = skynet.PTYPE_TEXT, pack = function(text) return text end,
                unpack = skynet.tostring,
            }
            skynet.start(function()
                local ok, err = pcall(skynet.call, ":00000001", "text", "to the logger")
                skynet.error("logger call", ok, err)
            end)
            """])
        let line = try node.output.waitForLog(containing: "logger call")
        #expect(line.hasPrefix("[:00000008] logger call false ") && line.hasSuffix(": call failed"), "\(line)")
        #expect(node.output.log.contains("[:00000008] to the logger"))
    }

    @Test func sendToUnknownAddressReturnsNilAndCallRaises() throws {
        let node = try TestNode([
            "main.lua": """
                local skynet = require "skynet"
                skynet.start(function()
                    skynet.error("send", skynet.send(0x7ffff, "lua", "x") == nil)
                    skynet.error("send name", skynet.send(".nobody", "lua", "x") == nil)
                    local ok, err = pcall(skynet.call, 0x7ffff, "lua", "x")
                    skynet.error("call", ok, err)
                end)
                """,
        ])
        let call = try node.output.waitForLog(containing: "call false")
        #expect(call.contains("invalid address"))
        #expect(node.output.log.contains("[:00000008] send true"))
        #expect(node.output.log.contains("[:00000008] send name true"))
    }

    @Test func forgottenResponseIsLogged() throws {
        let node = try TestNode([
            "echo.lua": Self.echo,
            "main.lua": """
                local skynet = require "skynet"
                skynet.start(function()
                    local echo = skynet.newservice("echo")
                    skynet.fork(function() skynet.call(echo, "lua", "forget") end)
                end)
                """,
        ])
        let line = try node.output.waitForLog(containing: "Maybe forgot response session")
        #expect(line.hasPrefix("[:00000009]"))
        #expect(line.contains("from :00000008"))
    }

    @Test func sendArrivesInOrder() throws {
        let node = try TestNode([
            "collector.lua": """
                local skynet = require "skynet"
                local got = {}
                skynet.start(function()
                    skynet.dispatch("lua", function(session, source, cmd, n)
                        if cmd == "item" then
                            got[#got + 1] = n
                        else
                            skynet.retpack(table.concat(got, ","))
                        end
                    end)
                end)
                """,
            "main.lua": """
                local skynet = require "skynet"
                skynet.start(function()
                    local c = skynet.newservice("collector")
                    for i = 1, 200 do skynet.send(c, "lua", "item", i) end
                    local list = skynet.call(c, "lua", "get")
                    local expected = {}
                    for i = 1, 200 do expected[i] = i end
                    skynet.error("ordered", list == table.concat(expected, ","))
                end)
                """,
        ])
        try node.output.waitForLog(containing: "ordered true")
    }
}
