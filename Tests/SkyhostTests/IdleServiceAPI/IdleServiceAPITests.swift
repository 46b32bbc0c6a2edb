import Foundation
import Testing

@testable import Skyhost

/// skynet.lua holds the message loop every service runs; the rest of the API (lualib/skynet/api/)
/// and the debug protocol (skynet/debug.lua) load on first use. These tests observe
/// that an idle service stays small, that every name still reads as in Skynet once used, and that
/// inject's `_U` shows the state tables whether or not their code has been loaded.
@Suite struct IdleServiceAPITests {
    @Test func idleServiceHoldsOnlyTheCoreAndTheRestLoadsOnFirstUse() throws {
        let node = try TestNode([
            "idle.lua": luaSource("idleServiceHoldsOnlyTheCoreAndTheRestLoadsOnFirstUse/idle.lua"),
            "main.lua": luaSource("idleServiceHoldsOnlyTheCoreAndTheRestLoadsOnFirstUse/main.lua"),
        ])
        let idle = try node.output.waitForLine(from: "idle", containing: "idle ")
        #expect(idle.hasPrefix("idle true true true true "), "\(idle)")
        let probe = try node.output.waitForLine(from: "main", containing: "probe ")
        #expect(
            probe == "probe true true true | proto table | session_id_coroutine table"
                + " | session_coroutine_id table | watching_session table | sleep_session table"
                + " | unresponse table | fork_queue table | P nil table")
        try node.output.waitForLog(containing: "task table nil")
        try node.output.waitForLog(containing: "missing true true")
    }

    @Test func everyPartWorksWhenFirstUsedFromAMainChunkOrAHandler() throws {
        let node = try TestNode(
            [
                "worker.lua": luaSource("everyPartWorksWhenFirstUsedFromAMainChunkOrAHandler/worker.lua"),
                "main.lua": luaSource("everyPartWorksWhenFirstUsedFromAMainChunkOrAHandler/main.lua"),
            ], threads: 2)
        try node.output.waitForLine(from: "main", containing: "hello 2 :00000009")
        try node.output.waitForLine(from: "main", containing: "kill true true 0")
        let exit = try node.output.waitForLine(from: "main", containing: "exit ")
        #expect(exit.hasPrefix("exit false ") && exit.hasSuffix("call failed"), "\(exit)")
        let gone = try node.output.waitForLine(from: "main", containing: "gone ")
        // (Gone, or still going when asked: the call is refused or fails, never answered.)
        #expect(
            gone.hasPrefix("gone false ")
                && (gone.hasSuffix(": call to invalid address :00000009") || gone.hasSuffix("call failed")), "\(gone)")
        #expect(!node.output.log.contains { $0.contains("killed fork ran") || $0.contains("queued before exit ran") })
    }
}
