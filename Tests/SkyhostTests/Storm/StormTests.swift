import Foundation
import Testing

/// Hot patching under load: four worker services answer a million counted messages
/// from four clients while a thousand injects (the debug protocol's RUN) and a hundred module
/// reloads (the updater's update_module) land on them. Every message must be answered exactly
/// once and in order, the counters must add up, and no answer may come from a half-patched
/// pair of functions. Broken patches among them (injects that do not compile or raise, a module
/// file that does not compile) are refused and change nothing. The throughput during the storm is
/// reported against quiet runs before and after (a printed figure, not asserted: it depends on
/// the machine and on what else runs; `swift test --filter StormTests` gives it alone).
@Suite struct StormTests {
    /// A worker: `hit` (a send) is answered with a send `ack, seq, a, b, c, d`, where (a, b) come
    /// from the pair of functions in `handles` (patched by inject) and (c, d) from the module
    /// storm_pair (replaced by reloads). Each pair keeps b == -a - 1: an answer that breaks it
    /// was served by half of one version and half of another.
    static let worker = luaSource("worker.lua")

    /// A client: `run(workers, quota, window, controller)` keeps `window` hits outstanding to each
    /// worker until `quota` hits per worker are answered, checking each answer as it arrives, and
    /// tells the controller of its progress every `every` answers.
    static let client = luaSource("client.lua")

    /// The controller: a warm-up, a quiet run, the storm with the patches spread over it by progress,
    /// another quiet run; logs `STORM key=value ...` with every figure, then `STORM DONE`.
    static let main = luaSource("main.lua")

    /// The figures of the `STORM key=value` lines.
    static func figures(_ log: [String]) -> [String: String] {
        var result: [String: String] = [:]
        for line in log where line.contains("] STORM ") {
            for word in line.split(separator: " ") {
                let parts = word.split(separator: "=", maxSplits: 1)
                if parts.count == 2 { result[String(parts[0])] = String(parts[1]) }
            }
        }
        return result
    }

    @Test func everyMessageIsAnsweredOnceAndWholeWhilePatchesLand() throws {
        let messages = 1_000_000
        let quiet = 250_000
        let injects = 1000
        let reloads = 100
        let node = try TestNode(
            [
                "main.lua": Self.main,
                "storm_worker.lua": Self.worker,
                "storm_client.lua": Self.client,
            ],
            environment: [
                "storm_messages": String(messages), "storm_quiet": String(quiet),
                "storm_injects": String(injects), "storm_reloads": String(reloads),
            ])
        // The end, or the controller failing (it would never get there).
        let end = try node.output.waitForLog(timeout: 300, "STORM DONE") {
            $0.contains("] STORM DONE") || ($0.hasPrefix("[:00000008]") && $0.contains(" error : "))
        }
        #expect(end.hasSuffix("] STORM DONE"), "\(node.output.log.joined(separator: "\n"))")
        let f = Self.figures(node.output.log)
        let bad = node.output.log.filter { $0.contains("STORM bad") }
        #expect(bad.isEmpty, "\(bad.joined(separator: "\n"))")

        // Every message answered exactly once, in order, by a whole version of each pair.
        let warmup = 4096 * 16  // 4,096 per client and worker before the quiet runs
        let expected = String(messages + 2 * quiet + warmup)
        #expect(f["expected"] == expected)
        #expect(f["sent"] == expected)
        #expect(f["acked"] == expected)
        #expect(f["served"] == expected)
        #expect(f["disorder"] == "0")
        #expect(f["torn"] == "0")
        #expect(f["backwards"] == "0")
        // Every patch landed, while messages were still flowing, and the workers end on the last.
        #expect(f["injects"] == String(injects))
        #expect(f["reloads"] == String(reloads))
        #expect(f["bad_injects"] == "0")
        #expect(f["bad_reloads"] == "0")
        #expect(f["finals"] == "true")
        // The broken patches among them were refused and changed nothing.
        #expect(f["refused_injects"] == String(injects / 20))
        #expect(f["refused_reloads"] == String(reloads / 10))
        #expect(f["broken_served"] == "0")
        let lastOp = Int(f["last_op_at"] ?? "") ?? Int.max
        #expect(lastOp < messages, "the last patch landed after the load ended")
        // The answers show the versions changing under load: most versions served some message.
        let seenInjects = Int(f["seen_injects"] ?? "") ?? 0
        let seenModules = Int(f["seen_modules"] ?? "") ?? 0
        #expect(seenInjects > injects / 2, "only \(seenInjects) inject versions answered a message")
        #expect(seenModules > reloads / 2, "only \(seenModules) module versions answered a message")

        let quietRates = ["quiet_s", "quiet2_s"].map { Double(quiet) / (Double(f[$0] ?? "") ?? .nan) }
        let quietRate = (quietRates[0] + quietRates[1]) / 2
        let stormRate = Double(messages) / (Double(f["storm_s"] ?? "") ?? .nan)
        print(
            String(
                format: "StormTests: %d messages with %d injects and %d reloads (and %@ broken injects, "
                    + "%@ broken reloads, all refused) in %@ s: %.0f messages/s; "
                    + "quiet runs of %d messages before and after: %.0f and %.0f messages/s; storm/quiet %.2f; versions seen in answers: "
                    + "%d of %d injects, %d of %d reloads",
                messages, injects, reloads, f["refused_injects"] ?? "?", f["refused_reloads"] ?? "?",
                f["storm_s"] ?? "?", stormRate, quiet, quietRates[0], quietRates[1],
                stormRate / quietRate, seenInjects, injects, seenModules, reloads))
    }
}
