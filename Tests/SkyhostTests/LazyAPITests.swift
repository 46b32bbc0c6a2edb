import Foundation
@testable import Skyhost
import Testing

/// skynet.lua holds only the core every service runs; the rest of the API (lualib/skynet/lazy.lua,
/// lazy_rare.lua) and the debug protocol (skynet/debug.lua) load on first use. These tests observe
/// that an idle service stays small, that every name still reads as in Skynet once used, and that
/// inject's `_U` shows the state tables whether or not their code has been loaded.
@Suite struct LazyAPITests {
    @Test func idleServiceHoldsOnlyTheCoreAndTheRestLoadsOnFirstUse() throws {
        let node = try TestNode([
            "idle.lua": """
                local skynet = require "skynet"
                skynet.start(function()
                    collectgarbage()
                    collectgarbage()
                    local kb = collectgarbage("count")
                    skynet.error("idle", rawget(skynet, "call") == nil, rawget(skynet, "killthread") == nil,
                        package.loaded["skynet.debug"] == nil, kb < 64, string.format("%.1f KB", kb))
                end)
                """,
            "main.lua": """
                local skynet = require "skynet"
                local probe = [[
                    local skynet = _U.skynet
                    print(package.loaded["skynet.debug"] ~= nil, rawget(skynet, "killthread") == nil)
                    for _, name in ipairs { "proto", "session_id_coroutine", "session_coroutine_id",
                            "watching_session", "sleep_session", "unresponse", "fork_queue" } do
                        print(name, type(_U[name]))
                    end
                    print("P", type(_P.lua), type(_P.debug))
                ]]
                skynet.start(function()
                    local idle = skynet.newservice("idle")
                    skynet.call(idle, "debug", "PING")
                    local ok, output = skynet.call(idle, "debug", "RUN", probe, "probe.lua")
                    skynet.error("probe", ok, (output:gsub("\\t", " "):gsub("\\n", " | ")))
                    local tasks = skynet.call(idle, "debug", "TASK")
                    skynet.error("task", type(tasks), skynet.call(idle, "debug", "INFO"))
                    skynet.error("missing", skynet.no_such_name == nil, skynet.no_such_name == nil)
                end)
                """,
        ])
        let idle = try node.output.waitForLog(containing: "] idle ")
        #expect(idle.hasPrefix("[:00000009] idle true true true true "), "\(idle)")
        let probe = try node.output.waitForLog(containing: "probe ")
        #expect(probe == "[:00000008] probe true true true | proto table | session_id_coroutine table"
            + " | session_coroutine_id table | watching_session table | sleep_session table"
            + " | unresponse table | fork_queue table | P nil table")
        try node.output.waitForLog(containing: "task table nil")
        try node.output.waitForLog(containing: "missing true true")
    }

    @Test func everyPartWorksWhenFirstUsedFromAMainChunkOrAHandler() throws {
        let node = try TestNode([
            "worker.lua": """
                local skynet = require "skynet"
                local threads = skynet.getenv "thread"   -- lazy.lua, from the main chunk
                skynet.start(function()
                    skynet.dispatch("lua", function(session, source, cmd)
                        if cmd == "kill" then
                            local co = skynet.fork(function() skynet.error("killed fork ran") end)
                            local sleeper = skynet.fork(function() skynet.sleep(100000) end)
                            local fork_killed = skynet.killthread(co) == co	-- before it ran
                            skynet.yield()	-- the sleeper runs and sleeps
                            skynet.retpack(fork_killed, skynet.killthread(sleeper) == sleeper, skynet.task())
                        elseif cmd == "exit" then
                            skynet.fork(function() skynet.error("fork queued before exit ran") end)
                            skynet.exit()
                        else
                            skynet.retpack(threads, skynet.address(skynet.self()))
                        end
                    end)
                end)
                """,
            "main.lua": """
                local skynet = require "skynet"
                skynet.start(function()
                    local w = skynet.newservice("worker")
                    skynet.error("hello", skynet.call(w, "lua", "hello"))
                    skynet.error("kill", skynet.call(w, "lua", "kill"))
                    skynet.error("exit", pcall(skynet.call, w, "lua", "exit"))
                    skynet.error("gone", pcall(skynet.call, w, "lua", "hello"))
                end)
                """,
        ], threads: 2)
        try node.output.waitForLog(containing: "[:00000008] hello 2 :00000009")
        try node.output.waitForLog(containing: "[:00000008] kill true true 0")
        let exit = try node.output.waitForLog(containing: "[:00000008] exit ")
        #expect(exit.hasPrefix("[:00000008] exit false ") && exit.hasSuffix("call failed"), "\(exit)")
        let gone = try node.output.waitForLog(containing: "[:00000008] gone ")
        // (Gone, or still going when asked: the call is refused or fails, never answered.)
        #expect(gone.hasPrefix("[:00000008] gone false ")
                && (gone.hasSuffix(": call to invalid address :00000009") || gone.hasSuffix("call failed")), "\(gone)")
        #expect(!node.output.log.contains { $0.contains("killed fork ran") || $0.contains("queued before exit ran") })
    }
}
