import Foundation
import Skyhost
import Testing

/// Boot order, newservice / uniqueservice / exit / kill, and failures at start-up.
@Suite struct ServiceLifecycleTests {
    @Test func bootAssignsSkynetsHandles() throws {
        let node = try TestNode([
            "serviceA.lua": """
                local skynet = require "skynet"
                skynet.start(function() end)
                """,
            "main.lua": """
                local skynet = require "skynet"
                skynet.start(function()
                    local a = skynet.newservice("serviceA", "x", 42)
                    skynet.error("serviceA is", skynet.address(a))
                    local list = skynet.call(".launcher", "lua", "LIST")
                    local keys = {}
                    for k, v in pairs(list) do keys[#keys + 1] = k .. "=" .. v end
                    table.sort(keys)
                    skynet.error("list", table.concat(keys, ";"))
                    skynet.error("self", skynet.address(skynet.self()), skynet.localname(".launcher"))
                end)
                """,
        ])
        try node.output.waitForLog(containing: "] self ")
        let list = try node.output.waitForLog(containing: "] list ")
        #expect(list.hasSuffix("list :00000004=snlua cdummy;:00000006=snlua datacenterd;:00000007=snlua service_mgr;:00000008=snlua main;:00000009=snlua serviceA x 42"))
        #expect(node.output.log.contains("[:00000008] serviceA is :00000009"))
        #expect(node.output.log.contains("[:00000008] self :00000008 3"))
        #expect(node.output.log.contains("[:00000009] LAUNCH snlua serviceA x 42"))
    }

    @Test func newserviceReturnsAfterStartAndPassesStringArguments() throws {
        let node = try TestNode([
            "worker.lua": """
                local skynet = require "skynet"
                local args = { ... }
                local ready = false
                skynet.start(function()
                    skynet.sleep(5)  -- the start function yields; newservice still waits for it
                    ready = true
                    skynet.dispatch("lua", function()
                        skynet.retpack(ready, #args, type(args[2]), args[2], SERVICE_NAME)
                    end)
                end)
                """,
            "main.lua": """
                local skynet = require "skynet"
                skynet.start(function()
                    local w = skynet.newservice("worker", "a", 7)
                    skynet.error("worker", skynet.call(w, "lua", "state"))
                end)
                """,
        ])
        try node.output.waitForLog(containing: "worker true 2 string 7 worker")
    }

    @Test func uniqueserviceStartsOnceAndQueryserviceFindsIt() throws {
        let node = try TestNode([
            "single.lua": """
                local skynet = require "skynet"
                skynet.start(function() skynet.error("single started") end)
                """,
            "main.lua": """
                local skynet = require "skynet"
                skynet.start(function()
                    local a = skynet.uniqueservice("single")
                    local b = skynet.uniqueservice("single")
                    local c = skynet.queryservice("single")
                    skynet.error("unique", a == b, b == c)
                end)
                """,
        ])
        try node.output.waitForLog(containing: "unique true true")
        #expect(node.output.log.filter { $0.contains("single started") }.count == 1)
    }

    @Test func startFunctionErrorMakesNewserviceFailCleanly() throws {
        let node = try TestNode([
            "broken.lua": """
                local skynet = require "skynet"
                skynet.start(function() error("cannot start") end)
                """,
            "main.lua": """
                local skynet = require "skynet"
                skynet.start(function()
                    local ok, err = pcall(skynet.newservice, "broken")
                    skynet.error("newservice", ok)
                    local ok2 = pcall(skynet.newservice, "does_not_exist")
                    skynet.error("missing", ok2)
                    skynet.error("alive", skynet.now() >= 0)
                end)
                """,
        ])
        try node.output.waitForLog(containing: "alive true")
        #expect(node.output.log.contains("[:00000008] newservice false"))
        #expect(node.output.log.contains("[:00000008] missing false"))
        #expect(node.output.log.contains { $0.contains("cannot start") })
        #expect(node.output.log.contains { $0.contains("does_not_exist") })
    }

    @Test func exitedServiceIsGoneAndItsPendingCallersFail() throws {
        let node = try TestNode([
            "quitter.lua": """
                local skynet = require "skynet"
                skynet.start(function()
                    skynet.dispatch("lua", function(session, source, cmd)
                        if cmd == "hang" then
                            skynet.wait()  -- never answers
                        else
                            skynet.exit()
                        end
                    end)
                end)
                """,
            "main.lua": """
                local skynet = require "skynet"
                require "skynet.manager"
                skynet.start(function()
                    local q = skynet.newservice("quitter")
                    skynet.fork(function()
                        local ok = pcall(skynet.call, q, "lua", "hang")
                        skynet.error("hung call returned", ok)
                    end)
                    skynet.sleep(1)
                    skynet.send(q, "lua", "quit")
                    skynet.sleep(5)
                    skynet.error("send after exit", skynet.send(q, "lua", "x") == nil)
                    local k = skynet.newservice("quitter")
                    skynet.kill(k)
                    local ok, err = pcall(skynet.call, k, "lua", "x")
                    skynet.error("call after kill", ok)
                end)
                """,
        ])
        try node.output.waitForLog(containing: "call after kill false")
        #expect(node.output.log.contains("[:00000008] hung call returned false"))
        #expect(node.output.log.contains("[:00000008] send after exit true"))
    }

    @Test func missingStartServiceStopsTheNodeWithAFailureStatus() throws {
        let folder = try ServiceFolder(["other.lua": "return"])
        let output = CapturedOutput()
        let node = Node(configuration: NodeConfiguration(environment: [
            "start": "nothere", "luaservice": folder.path + "/?.lua",
        ]), output: output.nodeOutput)
        #expect(throws: SkyhostError.self) { try node.start() }
        #expect(node.wait() != 0)
        #expect(output.log.contains { $0.contains("nothere") })
    }
}
