import Foundation
import Glibc
import Testing

@testable import Skyhost

/// service/config_mgr.lua, service/game_logic.lua and service/version_mgr.lua as the hot-update
/// walkthrough uses them: the project's own files, on real nodes. game_logic and version_mgr use
/// paths relative to the node's working directory ("./config/..."), so those tests run the
/// `skyhost` program in a folder of their own.
@Suite struct ConfigReloadTests {
    static let root = NodeConfiguration.defaultRoot

    /// The project's config/game_values.json (the hot-update walkthrough's file).
    static func gameValues() throws -> String {
        try String(contentsOfFile: root + "/config/game_values.json", encoding: .utf8)
    }

    /// Asks game_logic for the three kinds of values every 10 cs and prints them:
    /// "values #N exp=E hp=H mp=M legendary=L/50 max_level=V(type)".
    static let gameMain = luaSource("gameMain.lua")

    static func values(exp: Int, hp: Int, mp: Int) -> String { "exp=\(exp) hp=\(hp) mp=\(mp) " }

    @Test func editedGameValuesReachGameLogicWhileItRuns() throws {
        let folder = try ServiceFolder(["main.lua": Self.gameMain, "config/game_values.json": try Self.gameValues()])
        let node = try NodeProcess(["--path", folder.path, "--thread", "2"], in: folder.path)
        defer { node.stop() }

        // The hot-update walkthrough's values: 100 * 1.5^2, 100 + 9 * 50, 50 + 9 * 20; max_level an integer.
        let first = try node.waitFor("the hot-update walkthrough's values") { $0.contains("values #") }
        #expect(first.line.contains(Self.values(exp: 225, hp: 550, mp: 230)), "\(first.line)")
        #expect(first.line.hasSuffix("max_level=100(integer)"), "\(first.line)")
        _ = try node.waitFor("config_mgr's load line") { $0.contains("配置已加载: game_values (./config/game_values.json)") }

        // An operator edits the file while the node runs.
        let edited = """
            { "max_level": 120, "exp_base": 200, "exp_growth": 2, "hp_per_level": 10, "mp_per_level": 5,
              "drop_rates": { "common": 0, "rare": 0, "epic": 0, "legendary": 1 } }
            """
        try folder.write("config/game_values.json", edited)
        let firstChanged = try node.waitFor("the edited values", after: first.index) {
            $0.contains(Self.values(exp: 800, hp: 190, mp: 95))
        }
        // (The reload may land in the middle of that line's 50 rolls: the next line is wholly after it.)
        let changed = try node.waitFor("a whole round on the edited values", after: firstChanged.index) { $0.contains("values #") }
        #expect(changed.line.contains(Self.values(exp: 800, hp: 190, mp: 95)), "\(changed.line)")
        #expect(changed.line.contains("legendary=50/50 max_level=120(integer)"), "\(changed.line)")
        #expect(node.lines.contains { $0.contains("游戏数值配置已更新") })

        // Invalid JSON: logged, and the values stay as they were.
        try folder.write("config/game_values.json", "{ \"exp_base\": 1, oops")
        let invalid = try node.waitFor("the invalid JSON log line", after: changed.index) {
            $0.contains("config game_values: ./config/game_values.json has invalid JSON")
        }
        for _ in 0..<2 {
            let later = try node.waitFor("values after the invalid JSON", after: invalid.index) { $0.contains("values #") }
            #expect(later.line.contains(Self.values(exp: 800, hp: 190, mp: 95)), "\(later.line)")
        }

        // A file that vanishes: logged once, the values stay.
        try FileManager.default.removeItem(atPath: folder.path + "/config/game_values.json")
        let vanished = try node.waitFor("the vanished-file log line", after: invalid.index) {
            $0.contains("config game_values: can't read ./config/game_values.json")
        }
        let later = try node.waitFor("values after the file vanished", after: vanished.index) { $0.contains("values #") }
        #expect(later.line.contains(Self.values(exp: 800, hp: 190, mp: 95)), "\(later.line)")

        // It comes back: reloaded.
        try folder.write("config/game_values.json", edited.replacingOccurrences(of: "\"exp_base\": 200", with: "\"exp_base\": 300"))
        _ = try node.waitFor("the restored values", after: vanished.index) { $0.contains(Self.values(exp: 1200, hp: 190, mp: 95)) }
        #expect(node.lines.filter { $0.contains("can't read ./config/game_values.json") }.count == 1)
        #expect(node.lines.filter { $0.contains("has invalid JSON") }.count == 1)
    }

    /// Watchers: one that raises, one whose service has exited, one that works (registered
    /// twice); the good one is told once per change, and a failed reload tells nobody and keeps
    /// the old config.
    @Test func watchersAreToldOfChangesAndFailuresKeepTheOldConfig() async throws {
        let node = try TestNode([
            "values.json": #"{ "level": 1, "name": "first", "ratio": 0.5 }"#,
            "watcher.lua": luaSource("watchersAreToldOfChangesAndFailuresKeepTheOldConfig/watcher.lua"),
            "main.lua": luaSource("watchersAreToldOfChangesAndFailuresKeepTheOldConfig/main.lua"),
        ])
        let output = node.output
        _ = try output.waitForPrint { $0 == "ready" }
        #expect(try await node.node.call(".config_mgr", "get_item", "values", "level") == [.integer(1)])
        #expect(try await node.node.call(".config_mgr", "get_item", "values", "ratio") == [.number(0.5)])

        // A change on disk: the good watcher hears of it although the two before it fail.
        try node.folder.write("values.json", #"{ "level": 2, "name": "second" }"#)
        _ = try output.waitForPrint { $0 == "good saw values level=2(integer) name=second" }
        try output.waitForLog(containing: "watcher raises on purpose")
        try output.waitForLog(containing: "config values: watcher :0000000b (changed) has exited; dropped")

        // A change in memory (update) is told as well.
        #expect(try await node.node.call(".config_mgr", "update", "values", "name", "third") == [true])
        _ = try output.waitForPrint { $0 == "good saw values level=2(integer) name=third" }

        // Invalid JSON: the old config stays, nobody is told, the reason is logged once.
        try node.folder.write("values.json", #"{ "level": 3, "name": "#)
        try output.waitForLog(containing: "config values: \(node.folder.path)/values.json has invalid JSON")
        #expect(try await node.node.call(".config_mgr", "get_item", "values", "name") == ["third"])
        // load by hand refuses it too, with the reason, and changes nothing.
        let load = try await node.node.call(".config_mgr", "load", "values", .string(node.folder.path + "/values.json"))
        #expect(load.first == false)
        #expect(load.dropFirst().first?.stringValue?.hasPrefix("JSON 解析失败: ") == true, "\(load)")
        #expect(try await node.node.call(".config_mgr", "get_item", "values", "level") == [.integer(2)])

        // The next good version is told once, to the good watcher only once although it watched twice.
        try node.folder.write("values.json", #"{ "level": 4, "name": "fourth" }"#)
        _ = try output.waitForPrint { $0 == "good saw values level=4(integer) name=fourth" }
        #expect(
            output.stdout.filter { $0.hasPrefix("good saw") } == [
                "good saw values level=2(integer) name=second",
                "good saw values level=2(integer) name=third",
                "good saw values level=4(integer) name=fourth",
            ])
        #expect(output.log.filter { $0.contains("has invalid JSON") }.count == 1)

        // save writes the config back as JSON that loads again (and is not taken for an edit).
        #expect(try await node.node.call(".config_mgr", "update", "values", "level", 5) == [true])
        #expect(try await node.node.call(".config_mgr", "save", "values") == [true])
        let saved = try String(contentsOfFile: node.folder.path + "/values.json", encoding: .utf8)
        #expect(saved.contains("\"level\":5"), "\(saved)")
        #expect(try await node.node.call(".config_mgr", "reload_all") == [["values"]])
        #expect(try await node.node.call(".config_mgr", "get_item", "values", "level") == [.integer(5)])
    }

    /// Files that are not JSON, or not a JSON object or array: `load`, `reload_all` and
    /// the once-a-second check all refuse them with the reason, and the old config keeps serving
    /// (and reloads once the file is good again).
    @Test func filesThatAreNotJSONAreRefusedAndTheOldConfigKept() async throws {
        let node = try TestNode([
            "values.json": #"{ "level": 1, "name": "first" }"#,
            "main.lua": luaSource("filesThatAreNotJSONAreRefusedAndTheOldConfigKept/main.lua"),
        ])
        _ = try node.output.waitForPrint { $0 == "ready" }
        let path = node.folder.path + "/values.json"
        var garbage: [UInt8] = []
        var r = SeededRandom(state: 77)
        for _ in 0..<3000 { garbage.append(r.byte()) }
        let bad: [(String, [UInt8], String)] = [
            ("binary garbage", garbage, "JSON 解析失败: "),
            ("empty", [], "JSON 解析失败: "),
            ("a number", Array("42".utf8), "JSON 解析失败: the top level is a number, not an object or an array"),
            ("a string", Array(#""level""#.utf8), "JSON 解析失败: the top level is a string, not an object or an array"),
            ("null", Array("null".utf8), "JSON 解析失败: the top level is null, not an object or an array"),
            ("trailing garbage", Array(#"{ "level": 9 } and more"#.utf8), "JSON 解析失败: "),
            ("nested 100000 deep", Array(String(repeating: "[", count: 100_000).utf8), "JSON 解析失败: "),
            ("a Lua table", Array("return { level = 9 }".utf8), "JSON 解析失败: "),
            ("UTF-16", [0xff, 0xfe] + Array(#"{"level":9}"#.utf16.flatMap { [UInt8($0), 0] }), "JSON 解析失败: "),
        ]
        for (name, bytes, reason) in bad {
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            let load = try await node.node.call(".config_mgr", "load", "values", .string(path))
            #expect(load.first == false, "\(name)")
            let why = load.dropFirst().first?.stringValue ?? ""
            #expect(why.hasPrefix(reason) && why.count > "JSON 解析失败: ".count, "\(name): \(why)")
            #expect(!why.contains("stack traceback"), "\(name): \(why)")
            #expect(try await node.node.call(".config_mgr", "reload_all") == [[:]], "\(name)")
            #expect(try await node.node.call(".config_mgr", "check_update") == [[:]], "\(name)")
            #expect(try await node.node.call(".config_mgr", "get_item", "values", "level") == [1], "\(name)")
            #expect(try await node.node.call(".config_mgr", "get_item", "values", "name") == ["first"], "\(name)")
        }
        // Good again: picked up (reload_all, since the once-a-second check may get there first).
        try node.folder.write("values.json", #"{ "level": 2, "name": "second" }"#)
        #expect(try await node.node.call(".config_mgr", "reload_all") == [["values"]])
        #expect(try await node.node.call(".config_mgr", "get_item", "values", "level") == [2])
    }

    /// version_mgr keeps versions and their history in ./config/version.json across restarts.
    @Test func versionHistorySurvivesARestart() throws {
        let folder = try ServiceFolder(["config/.keep": ""])
        let before = Int(Date().timeIntervalSince1970)
        try folder.write("main.lua", luaSource("versionHistorySurvivesARestart/main.lua"))
        let first = try NodeProcess.run(["--path", folder.path], in: folder.path)
        #expect(first.status == 0, "\(first.output)")
        #expect(first.output.contains("saved\t1.0.1"), "\(first.output)")
        #expect(first.output.contains("版本更新: server 1.0.0 -> 1.0.1"), "\(first.output)")

        try folder.write("main.lua", luaSource("versionHistorySurvivesARestart/main_v2.lua"))
        let second = try NodeProcess.run(["--path", folder.path], in: folder.path)
        #expect(second.status == 0, "\(second.output)")
        #expect(second.output.contains("versions\t1.0.1\t1.0.0\t2.0.0"), "\(second.output)")
        let history = second.output.split(separator: "\n").filter { $0.hasPrefix("history") }.map {
            $0.split(separator: "\t").map(String.init)
        }
        #expect(history.count == 2, "\(second.output)")
        if history.count == 2 {
            #expect(Array(history[0][1...5]) == ["1", "server", "1.0.0", "1.0.1", "integer"])
            #expect(Array(history[1][1...5]) == ["2", "protocol", "1.0.0", "2.0.0", "integer"])
            #expect(history[0].last == "nil" && history[1].last == "alice")
            let stamp = Int(history[0][6]) ?? 0
            #expect(stamp >= before - 1 && stamp <= Int(Date().timeIntervalSince1970) + 1)
        }

        // A file in the hot-update walkthrough's format (the versions alone) is read too.
        try folder.write("config/version.json", #"{"server":"9.9.9","config":"1.2.0","protocol":"1.0.0"}"#)
        let third = try NodeProcess.run(["--path", folder.path], in: folder.path)
        #expect(third.output.contains("versions\t9.9.9\t1.2.0\t1.0.0"), "\(third.output)")
        #expect(!third.output.contains("history\t"), "\(third.output)")
    }
}
