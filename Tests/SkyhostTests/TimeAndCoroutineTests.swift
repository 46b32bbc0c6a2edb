import Foundation
import Testing

/// timeout / sleep / wait / wakeup / fork / now / time, skynet.queue and skynet.coroutine.
@Suite struct TimeAndCoroutineTests {
    @Test func timersAndSleepsFireInOrderOfTheirDeadlines() throws {
        let node = try TestNode([
            "main.lua": """
                local skynet = require "skynet"
                skynet.start(function()
                    local order = {}
                    skynet.timeout(20, function() order[#order + 1] = "t20" end)
                    skynet.timeout(5, function() order[#order + 1] = "t5" end)
                    skynet.timeout(0, function() order[#order + 1] = "t0" end)
                    local before = skynet.now()
                    skynet.sleep(30)
                    local slept = skynet.now() - before
                    skynet.error("order", table.concat(order, ","))
                    skynet.error("slept at least 30cs", slept >= 30, slept < 200)
                    local t = skynet.time()
                    skynet.error("time", math.abs(t - (skynet.starttime() + skynet.now() / 100)) < 0.02)
                    skynet.error("hpc", math.type(skynet.hpc()))
                end)
                """,
        ])
        try node.output.waitForLog(containing: "hpc integer")
        #expect(node.output.log.contains("[:00000008] order t0,t5,t20"))
        #expect(node.output.log.contains("[:00000008] slept at least 30cs true true"))
        #expect(node.output.log.contains("[:00000008] time true"))
    }

    @Test func wakeupBreaksASleepAndWaitSuspendsUntilWoken() throws {
        let node = try TestNode([
            "main.lua": """
                local skynet = require "skynet"
                skynet.start(function()
                    local sleeper = coroutine.running()
                    local waiter
                    skynet.fork(function()
                        waiter = coroutine.running()
                        skynet.wait()
                        skynet.error("waiter woke")
                    end)
                    skynet.fork(function()
                        skynet.sleep(2)
                        skynet.wakeup(sleeper)
                        skynet.wakeup(waiter)
                    end)
                    local r = skynet.sleep(1000)
                    skynet.error("sleep returned", r)
                    skynet.error("short sleep returned", skynet.sleep(1) == nil)
                    skynet.yield()
                end)
                """,
        ])
        try node.output.waitForLog(containing: "short sleep returned true")
        try node.output.waitForLog(containing: "waiter woke")
        #expect(node.output.log.contains("[:00000008] sleep returned BREAK"))
    }

    @Test func queueSerialisesCriticalSections() throws {
        let node = try TestNode([
            "main.lua": """
                local skynet = require "skynet"
                local queue = require "skynet.queue"
                skynet.start(function()
                    local cs = queue()
                    local trace = {}
                    for i = 1, 3 do
                        skynet.fork(function()
                            cs(function()
                                trace[#trace + 1] = "in" .. i
                                skynet.sleep(1)
                                trace[#trace + 1] = "out" .. i
                            end)
                        end)
                    end
                    skynet.sleep(20)
                    skynet.error("trace", table.concat(trace, ","))
                end)
                """,
        ])
        try node.output.waitForLog(containing: "trace in1,out1,in2,out2,in3,out3")
    }

    @Test func skynetCoroutineYieldsToItsResumerNotToTheScheduler() throws {
        let node = try TestNode([
            "main.lua": """
                local skynet = require "skynet"
                local coroutine = require "skynet.coroutine"
                skynet.start(function()
                    local co = coroutine.create(function(a)
                        skynet.sleep(1)  -- suspends through the scheduler, transparently
                        local b = coroutine.yield(a + 1)
                        return b * 2
                    end)
                    local ok1, v1 = coroutine.resume(co, 1)
                    local ok2, v2 = coroutine.resume(co, 10)
                    skynet.error("coroutine", ok1, v1, ok2, v2, coroutine.status(co))
                end)
                """,
        ])
        try node.output.waitForLog(containing: "coroutine true 2 true 20 dead")
    }

    @Test func getenvSeesTheConfigAndSetenvAddsKeys() throws {
        let node = try TestNode([
            "main.lua": """
                local skynet = require "skynet"
                skynet.start(function()
                    skynet.setenv("added", "yes")
                    skynet.error("env", skynet.getenv("custom"), skynet.getenv("thread"), skynet.getenv("added"), skynet.getenv("missing"))
                    local ok = pcall(skynet.setenv, "custom", "again")
                    skynet.error("setenv existing", ok)
                end)
                """,
        ], environment: ["custom": "hello"])
        try node.output.waitForLog(containing: "setenv existing false")
        #expect(node.output.log.contains("[:00000008] env hello 2 yes nil"))
    }
}
