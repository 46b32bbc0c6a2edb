import Foundation
import Testing

@testable import Skyhost

@Suite struct ConfigFileTests {
    @Test func readsGlobalsIncludesAndEnvironment() throws {
        let folder = try ServiceFolder([
            "node.config": """
            include "common.config"
            thread = 4
            start = "main"
            name = "$SKYHOST_TEST_NAME"
            debug = true
            """,
            "common.config": """
            harbor = 0
            luaservice = "./service/?.lua"
            """,
        ])
        let config = try NodeConfiguration(
            contentsOfFile: folder.path + "/node.config",
            processEnvironment: ["SKYHOST_TEST_NAME": "node1"])
        #expect(config.environment["thread"] == "4")
        #expect(config.environment["start"] == "main")
        #expect(config.environment["name"] == "node1")
        #expect(config.environment["debug"] == "true")
        #expect(config.environment["harbor"] == "0")
        #expect(config.environment["luaservice"] == "./service/?.lua")
    }

    @Test func missingFileIsAClearError() {
        #expect(throws: SkyhostError.badConfig("cannot read config file /nonexistent/node.config")) {
            try NodeConfiguration(contentsOfFile: "/nonexistent/node.config")
        }
    }

    @Test func syntaxErrorNamesTheFileAndLine() throws {
        let folder = try ServiceFolder(["bad.config": "thread = 2\nstart = = 'main'\n"])
        #expect {
            try NodeConfiguration(contentsOfFile: folder.path + "/bad.config")
        } throws: { error in
            "\(error)".contains("bad.config:2")
        }
    }

    @Test func unsetEnvironmentVariableIsNamed() throws {
        let folder = try ServiceFolder(["env.config": "root = \"$SKYHOST_SURELY_UNSET\"\n"])
        #expect {
            try NodeConfiguration(contentsOfFile: folder.path + "/env.config", processEnvironment: [:])
        } throws: { error in
            "\(error)".contains("$SKYHOST_SURELY_UNSET")
        }
    }

    @Test func tableValuesAreRefused() throws {
        let folder = try ServiceFolder(["t.config": "paths = { 'a' }\n"])
        #expect {
            try NodeConfiguration(contentsOfFile: folder.path + "/t.config")
        } throws: { error in
            "\(error)".contains("paths")
        }
    }

    @Test func missingIncludeIsNamed() throws {
        let folder = try ServiceFolder(["i.config": "include 'nothere.config'\n"])
        #expect {
            try NodeConfiguration(contentsOfFile: folder.path + "/i.config")
        } throws: { error in
            "\(error)".contains("nothere.config")
        }
    }

    // MARK: - Broken files: a clear reason, naming the file, and no traceback

    /// The reason a config in `files` (read from its first file, `node.config`) is refused.
    static func refusal(_ files: [String: String], _ binary: [UInt8]? = nil) throws -> String {
        let folder = try ServiceFolder(files)
        if let binary {
            try Data(binary).write(to: URL(fileURLWithPath: folder.path + "/node.config"))
        }
        do {
            _ = try NodeConfiguration(contentsOfFile: folder.path + "/node.config", processEnvironment: [:])
        } catch let SkyhostError.badConfig(why) {
            return why.replacingOccurrences(of: folder.path + "/", with: "")
        }
        Issue.record("the config was accepted")
        return ""
    }

    @Test func binaryGarbageIsRefusedWithTheFileName() throws {
        var r = SeededRandom(state: 9)
        var garbage: [UInt8] = (0..<4096).map { _ in
            let byte = r.byte()
            return byte == UInt8(ascii: "$") ? 0 : byte  // ($NAME would be an unset variable)
        }
        garbage[0] = 0x9a
        let why = try Self.refusal([:], garbage)
        // (Lua shortens a long path to "...": the reason ends with the file's name and line)
        #expect(why.contains("node.config:1: unexpected symbol near "), "\(why)")
        #expect(!why.contains("traceback"), "\(why)")
        // A compiled Lua chunk is not a config either.
        let compiled = try Self.refusal([:], Array("\u{1b}Lua\u{54}\u{00}".utf8))
        #expect(compiled == "node.config: attempt to load a binary chunk (mode is 't')")
    }

    @Test func recursiveIncludeIsNamedNotAStackOverflow() throws {
        #expect(
            try Self.refusal(["node.config": "include 'node.config'\n"])
                == "recursive include: node.config includes node.config")
        #expect(
            try Self.refusal([
                "node.config": "thread = 2\ninclude 'sub/a.config'\n",
                "sub/a.config": "include '../sub/b.config'\n",
                "sub/b.config": "include './a.config'\n",
            ]) == "recursive include: sub/a.config includes sub/../sub/b.config includes sub/../sub/./a.config")
        // Deep but not circular: a limit, not a crash.
        var files: [String: String] = ["node.config": "include 'c1.config'\n"]
        for i in 1...40 { files["c\(i).config"] = "include 'c\(i + 1).config'\n" }
        files["c41.config"] = "start = 'main'\n"
        #expect(try Self.refusal(files).hasPrefix("include nested more than 32 deep at "))
    }

    @Test func valuesThatAreNotStringsNumbersOrBooleansAreRefused() throws {
        #expect(
            try Self.refusal(["node.config": "start = function() end\n"])
                == "config value start is a function (only strings, numbers and booleans)")
        #expect(try Self.refusal(["node.config": "_ENV[1] = 'x'\n"]) == "config key 1 is not a string")
        #expect(try Self.refusal(["node.config": "include(42)\n"]) == "include needs a file name (in node.config)")
        #expect(
            try Self.refusal(["node.config": "include 'sub'\n", "sub/x.config": ""])
                == "cannot read sub: Is a directory")
        // Code that fails while it runs: the reason with its line.
        #expect(
            try Self.refusal(["node.config": "thread = 2\nstart = nothing.here\n"])
                .hasSuffix("node.config:2: attempt to index a nil value (global 'nothing')"))
        #expect(
            try Self.refusal(["node.config": "x = '$SKYHOST_SURELY_UNSET'\n"])
                == "node.config: environment variable $SKYHOST_SURELY_UNSET is not set")
    }
}
