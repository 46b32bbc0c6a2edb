import Foundation
import Testing

/// timeout / sleep / wait / wakeup / fork / now / time, skynet.queue and skynet.coroutine.
@Suite struct TimeAndCoroutineTests {
    @Test func timersAndSleepsFireInOrderOfTheirDeadlines() throws {
        let before = Date().timeIntervalSince1970
        let node = try TestNode([
            "main.lua": luaSource("timersAndSleepsFireInOrderOfTheirDeadlines/main.lua")
        ])
        try node.output.waitForLog(containing: "hpc integer")
        let after = Date().timeIntervalSince1970
        // skynet.time() is the wall clock to the centisecond, not the second the node started in.
        let line = try #require(node.output.lines(from: "main").first { $0.hasPrefix("wall clock ") })
        let time = try #require(Double(line.dropFirst("wall clock ".count)))
        #expect(time >= before - 0.01 && time <= after + 0.01, "\(before) <= \(time) <= \(after)")
        #expect(node.output.lines(from: "main").contains("order t0,t5,t20"))
        #expect(node.output.lines(from: "main").contains("slept at least 30cs true true"))
        #expect(node.output.lines(from: "main").contains("time true"))
    }

    @Test func wakeupBreaksASleepAndWaitSuspendsUntilWoken() throws {
        let node = try TestNode([
            "main.lua": luaSource("wakeupBreaksASleepAndWaitSuspendsUntilWoken/main.lua")
        ])
        try node.output.waitForLog(containing: "short sleep returned true")
        try node.output.waitForLog(containing: "waiter woke")
        #expect(node.output.lines(from: "main").contains("sleep returned BREAK"))
    }

    @Test func queueSerialisesCriticalSections() throws {
        let node = try TestNode([
            "main.lua": luaSource("queueSerialisesCriticalSections/main.lua")
        ])
        try node.output.waitForLog(containing: "trace in1,out1,in2,out2,in3,out3")
    }

    @Test func skynetCoroutineYieldsToItsResumerNotToTheScheduler() throws {
        let node = try TestNode([
            "main.lua": luaSource("skynetCoroutineYieldsToItsResumerNotToTheScheduler/main.lua")
        ])
        try node.output.waitForLog(containing: "coroutine true 2 true 20 dead")
    }

    @Test func getenvSeesTheConfigAndSetenvAddsKeys() throws {
        let node = try TestNode(
            [
                "main.lua": luaSource("getenvSeesTheConfigAndSetenvAddsKeys/main.lua")
            ], environment: ["custom": "hello"])
        try node.output.waitForLog(containing: "setenv existing false")
        #expect(node.output.lines(from: "main").contains("env hello 2 yes nil"))
    }
}
