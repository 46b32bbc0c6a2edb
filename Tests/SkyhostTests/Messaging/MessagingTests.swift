import Foundation
import Testing

/// send / call / ret and their error semantics, on a real node.
@Suite struct MessagingTests {
    static let echo = luaSource("echo.lua")

    @Test func callReturnsTheRepliedValues() throws {
        let node = try TestNode([
            "echo.lua": Self.echo,
            "main.lua": luaSource("callReturnsTheRepliedValues/main.lua"),
        ])
        try node.output.waitForLog(containing: "later answered later")
        #expect(node.output.lines(from: "main").contains("echo 1 two 3"))
        #expect(node.output.lines(from: "main").contains("add 42"))
    }

    @Test func failingHandlerMakesTheCallRaiseCallFailed() throws {
        let node = try TestNode([
            "echo.lua": Self.echo,
            "main.lua": luaSource("failingHandlerMakesTheCallRaiseCallFailed/main.lua"),
        ])
        try node.output.waitForLog(containing: "still serving 2")
        let raised = try #require(node.output.log.first { $0.contains("raised false") })
        #expect(raised.contains("call failed"))
        // The callee logs the traceback of its handler's error.
        let traceback = try #require(node.output.log.first { $0.contains("handler exploded") })
        #expect(node.output.lines(from: "echo").contains { $0.contains("handler exploded") })
        #expect(traceback.contains("stack traceback") || node.output.log.contains { $0.contains("stack traceback") })
    }

    /// The logger (a native service with nothing to answer) fails a call to it at once, after
    /// printing the message, instead of leaving the caller waiting for ever.
    @Test func aCallToTheLoggerFailsInsteadOfHanging() throws {
        let node = try TestNode(["main.lua": luaSource("aCallToTheLoggerFailsInsteadOfHanging/main.lua")])
        let line = try node.output.waitForLine(from: "main", containing: "logger call")
        #expect(line.hasPrefix("logger call false ") && line.hasSuffix(": call failed"), "\(line)")
        #expect(node.output.lines(from: "main").contains("to the logger"))
    }

    @Test func sendToUnknownAddressReturnsNilAndCallRaises() throws {
        let node = try TestNode([
            "main.lua": luaSource("sendToUnknownAddressReturnsNilAndCallRaises/main.lua")
        ])
        let call = try node.output.waitForLog(containing: "call false")
        #expect(call.contains("invalid address"))
        #expect(node.output.lines(from: "main").contains("send true"))
        #expect(node.output.lines(from: "main").contains("send name true"))
    }

    @Test func forgottenResponseIsLogged() throws {
        let node = try TestNode([
            "echo.lua": Self.echo,
            "main.lua": luaSource("forgottenResponseIsLogged/main.lua"),
        ])
        let line = try node.output.waitForLine(from: "echo", containing: "Maybe forgot response session")
        #expect(line.contains("from :00000008"))
    }

    @Test func sendArrivesInOrder() throws {
        let node = try TestNode([
            "collector.lua": luaSource("sendArrivesInOrder/collector.lua"),
            "main.lua": luaSource("sendArrivesInOrder/main.lua"),
        ])
        try node.output.waitForLog(containing: "ordered true")
    }
}
