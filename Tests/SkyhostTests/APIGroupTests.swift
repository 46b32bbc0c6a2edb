import Foundation
@testable import Skyhost
import Testing

/// The rest of the Lua API groups of DESIGN.md, each observed from a real node.
@Suite struct APIGroupTests {
    static let echo = MessagingTests.echo

    @Test func requestSelectCollectsAnswersAndFailures() throws {
        let node = try TestNode([
            "echo.lua": Self.echo,
            "main.lua": """
                local skynet = require "skynet"
                skynet.start(function()
                    local a = skynet.newservice("echo")
                    local b = skynet.newservice("echo")
                    local req = skynet.request()
                    req:add { a, "lua", "add", 1, 2 }
                    req:add { b, "lua", "add", 10, 20 }
                    req:add { a, "lua", "raise" }
                    local got, failed = {}, 0
                    for r, resp in req:select() do
                        if resp then got[#got + 1] = resp[1] else failed = failed + 1 end
                    end
                    table.sort(got)
                    skynet.error("select", table.concat(got, ","), failed)
                end)
                """,
        ])
        try node.output.waitForLog(containing: "select 3,30 1")
    }

    @Test func redirectContextAndIgnoreret() throws {
        let node = try TestNode([
            "probe.lua": """
                local skynet = require "skynet"
                skynet.start(function()
                    skynet.dispatch("lua", function(session, source, cmd)
                        if cmd == "who" then
                            skynet.retpack(skynet.address(source), session == skynet.context() and "ctx" or "noctx")
                        elseif cmd == "quiet" then
                            skynet.ignoreret()
                            skynet.error("quiet handled")
                        end
                    end)
                end)
                """,
            "main.lua": """
                local skynet = require "skynet"
                skynet.start(function()
                    local p = skynet.newservice("probe")
                    skynet.error("who", skynet.call(p, "lua", "who"))
                    -- redirect: a message that appears to come from the launcher
                    skynet.redirect(p, skynet.localname(".launcher"), "lua", 0, skynet.pack("quiet"))
                    skynet.error("genid positive", skynet.genid() > 0)
                end)
                """,
        ])
        try node.output.waitForLog(containing: "quiet handled")
        try node.output.waitForLog(containing: "genid positive true")
        #expect(node.output.log.contains("[:00000008] who :00000008 ctx"))
        // ignoreret: no "Maybe forgot response" for the quiet handler even though it never replies
        #expect(!node.output.log.contains { $0.contains("forgot response") })
    }

    @Test func taskStatAndMqlenReportTheService() throws {
        let node = try TestNode([
            "busy.lua": """
                local skynet = require "skynet"
                skynet.start(function()
                    skynet.fork(function() skynet.sleep(100000) end)
                    skynet.fork(function() skynet.sleep(100000) end)
                    skynet.dispatch("lua", function()
                        skynet.retpack(skynet.task(), skynet.mqlen(), skynet.stat("message") > 0)
                    end)
                end)
                """,
            "main.lua": """
                local skynet = require "skynet"
                skynet.start(function()
                    local b = skynet.newservice("busy")
                    skynet.error("task", skynet.call(b, "lua", "q"))
                    local stat = skynet.call(b, "debug", "STAT")
                    skynet.error("debug stat", stat.task, stat.mqlen, stat.message > 0)
                    skynet.error("debug mem", type(skynet.call(b, "debug", "MEM")))
                end)
                """,
        ])
        try node.output.waitForLog(containing: "debug mem number")
        // the two sleeping forks (the running request is not a suspended task)
        #expect(node.output.log.contains("[:00000008] task 2 0 true"))
        #expect(node.output.log.contains("[:00000008] debug stat 2 0 true"))
    }

    @Test func memlimitGivesNotEnoughMemoryAndTheServiceLives() throws {
        let node = try TestNode([
            "hog.lua": """
                local skynet = require "skynet"
                skynet.memlimit(4 * 1024 * 1024)
                skynet.start(function()
                    skynet.dispatch("lua", function(session, source, cmd)
                        if cmd == "grow" then
                            local t = {}
                            local ok, err = pcall(function()
                                for i = 1, 1e7 do t[i] = string.rep("x", 64) .. i end
                            end)
                            t = nil
                            collectgarbage()
                            skynet.retpack(ok, err)
                        else
                            skynet.retpack("alive")
                        end
                    end)
                end)
                """,
            "main.lua": """
                local skynet = require "skynet"
                skynet.start(function()
                    local h = skynet.newservice("hog")
                    skynet.error("grow", skynet.call(h, "lua", "grow"))
                    skynet.error("after", skynet.call(h, "lua", "ping"))
                end)
                """,
        ])
        try node.output.waitForLog(containing: "after alive")
        #expect(node.output.log.contains("[:00000008] grow false not enough memory"))
    }

    @Test func killthreadAndTermAndProfile() throws {
        let node = try TestNode([
            "main.lua": """
                local skynet = require "skynet"
                local profile = require "skynet.profile"
                skynet.start(function()
                    local co = skynet.fork(function()
                        skynet.sleep(10)
                        skynet.error("should not run")
                    end)
                    skynet.killthread(co)
                    profile.start()
                    local x = 0
                    for i = 1, 200000 do x = x + i end
                    skynet.sleep(1)
                    local t = profile.stop()
                    skynet.error("profile", t > 0, t < 5)
                    skynet.sleep(20)
                    skynet.error("killthread done")
                end)
                """,
        ])
        try node.output.waitForLog(containing: "killthread done")
        #expect(node.output.log.contains("[:00000008] profile true true"))
        #expect(!node.output.log.contains { $0.contains("should not run") })
    }

    @Test func datacenterAndSkynetRequireInit() throws {
        let node = try TestNode([
            "mod.lua": """
                local skynet = require "skynet"
                local M = { ready = false }
                skynet.init(function() M.ready = true end)
                return M
                """,
            "main.lua": """
                local skynet = require "skynet"
                local datacenter = require "skynet.datacenter"
                local mod = require "mod"
                skynet.start(function()
                    skynet.error("init ran before start", mod.ready)
                    datacenter.set("game", "version", 7)
                    skynet.error("datacenter", datacenter.get("game", "version"))
                end)
                """,
        ])
        try node.output.waitForLog(containing: "datacenter 7")
        #expect(node.output.log.contains("[:00000008] init ran before start true"))
    }

    /// As in Skynet, where the harbor holds a message to a global name until the name is
    /// registered: a global name can be used as soon as `skynet.name` returns.
    @Test func aGlobalNameIsReachableAsSoonAsItIsGiven() throws {
        let node = try TestNode([
            "echo.lua": Self.echo,
            "main.lua": """
                local skynet = require "skynet"
                require "skynet.manager"
                skynet.start(function()
                    local e = skynet.newservice("echo")
                    skynet.name("ECHO", e)
                    skynet.error("by global name", skynet.call("ECHO", "lua", "add", 2, 3))
                    skynet.error("done")
                end)
                """,
        ])
        try node.output.waitForLog(containing: "done")
        #expect(node.output.log.contains("[:00000008] by global name 5"))
        #expect(!node.output.log.contains { $0.contains("already bound") || $0.contains("registered twice") })
    }

    @Test func malformedMessageIsAnErrorNotACrash() throws {
        let node = try TestNode([
            "echo.lua": Self.echo,
            "main.lua": """
                local skynet = require "skynet"
                skynet.start(function()
                    local e = skynet.newservice("echo")
                    skynet.error("echo is", skynet.address(e))
                    skynet.register_protocol {
                        name = "text", id = skynet.PTYPE_TEXT, unpack = skynet.tostring,
                        dispatch = function()
                            skynet.error("still", skynet.call(e, "lua", "add", 2, 3))
                        end,
                    }
                end)
                """,
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
        #expect(node.output.log.contains { $0.hasPrefix("[:00000009]") && $0.contains("Invalid serialize stream") })
    }
}
