import Foundation
import Testing

@testable import Skyhost

/// The rest of Skynet's Lua API, group by group, each observed from a real node.
@Suite struct APIGroupTests {
    static let echo = MessagingTests.echo

    @Test func requestSelectCollectsAnswersAndFailures() throws {
        let node = try TestNode([
            "echo.lua": Self.echo,
            "main.lua": luaSource("requestSelectCollectsAnswersAndFailures/main.lua"),
        ])
        try node.output.waitForLog(containing: "select 3,30 1")
    }

    @Test func redirectContextAndIgnoreret() throws {
        let node = try TestNode([
            "probe.lua": luaSource("redirectContextAndIgnoreret/probe.lua"),
            "main.lua": luaSource("redirectContextAndIgnoreret/main.lua"),
        ])
        try node.output.waitForLog(containing: "quiet handled")
        try node.output.waitForLog(containing: "genid positive true")
        #expect(node.output.lines(from: "main").contains("who :00000008 ctx"))
        // ignoreret: no "Maybe forgot response" for the quiet handler even though it never replies
        #expect(!node.output.log.contains { $0.contains("forgot response") })
    }

    @Test func taskStatAndMqlenReportTheService() throws {
        let node = try TestNode([
            "busy.lua": luaSource("taskStatAndMqlenReportTheService/busy.lua"),
            "main.lua": luaSource("taskStatAndMqlenReportTheService/main.lua"),
        ])
        try node.output.waitForLog(containing: "debug mem number")
        // the two sleeping forks (the running request is not a suspended task)
        #expect(node.output.lines(from: "main").contains("task 2 0 true"))
        #expect(node.output.lines(from: "main").contains("debug stat 2 0 true"))
    }

    @Test func memlimitGivesNotEnoughMemoryAndTheServiceLives() throws {
        let node = try TestNode([
            "hog.lua": luaSource("memlimitGivesNotEnoughMemoryAndTheServiceLives/hog.lua"),
            "main.lua": luaSource("memlimitGivesNotEnoughMemoryAndTheServiceLives/main.lua"),
        ])
        try node.output.waitForLog(containing: "after alive")
        #expect(node.output.lines(from: "main").contains("grow false not enough memory"))
    }

    @Test func killthreadAndTermAndProfile() throws {
        let node = try TestNode([
            "main.lua": luaSource("killthreadAndTermAndProfile/main.lua")
        ])
        try node.output.waitForLog(containing: "killthread done")
        #expect(node.output.lines(from: "main").contains("profile true true"))
        #expect(!node.output.log.contains { $0.contains("should not run") })
    }

    @Test func datacenterAndSkynetRequireInit() throws {
        let node = try TestNode([
            "mod.lua": luaSource("datacenterAndSkynetRequireInit/mod.lua"),
            "main.lua": luaSource("datacenterAndSkynetRequireInit/main.lua"),
        ])
        try node.output.waitForLog(containing: "datacenter 7")
        #expect(node.output.lines(from: "main").contains("init ran before start true"))
    }

    /// As in Skynet, where the harbor holds a message to a global name until the name is
    /// registered: a global name can be used as soon as `skynet.name` returns.
    @Test func aGlobalNameIsReachableAsSoonAsItIsGiven() throws {
        let node = try TestNode([
            "echo.lua": Self.echo,
            "main.lua": luaSource("aGlobalNameIsReachableAsSoonAsItIsGiven/main.lua"),
        ])
        try node.output.waitForLog(containing: "done")
        #expect(node.output.lines(from: "main").contains("by global name 5"))
        #expect(!node.output.log.contains { $0.contains("already bound") || $0.contains("registered twice") })
    }

    @Test func malformedMessageIsAnErrorNotACrash() throws {
        let node = try TestNode([
            "echo.lua": Self.echo,
            "main.lua": luaSource("malformedMessageIsAnErrorNotACrash/main.lua"),
        ])
        try node.output.waitForLog(containing: "echo is :00000009")
        // A lua-protocol message whose payload is not a skynet.pack buffer.
        let garbage: [UInt8] = [0x1f, 0xff, 0x13, 0x00, 0x25, 0xff, 0xff, 0xff]
        for _ in 0..<3 {
            let (data, size) = Message.payload(copying: garbage)
            node.node.deliver(Message(source: 8, session: 0, type: ProtocolType.lua.rawValue, data: data, size: size), to: 9)
        }
        node.sendText(to: 8, "go")
        try node.output.waitForLog(containing: "still 5")
        #expect(node.output.lines(from: "echo").contains { $0.contains("Invalid serialize stream") })
    }
}
