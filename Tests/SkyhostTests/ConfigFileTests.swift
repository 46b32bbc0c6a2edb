import Foundation
@testable import Skyhost
import Testing

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
        let config = try NodeConfiguration(contentsOfFile: folder.path + "/node.config",
                                           processEnvironment: ["SKYHOST_TEST_NAME": "node1"])
        #expect(config.environment["thread"] == "4")
        #expect(config.environment["start"] == "main")
        #expect(config.environment["name"] == "node1")
        #expect(config.environment["debug"] == "true")
        #expect(config.environment["harbor"] == "0")
        #expect(config.environment["luaservice"] == "./service/?.lua")
    }

    @Test func missingFileIsAClearError() {
        #expect(throws: NodeError.badConfig("cannot read config file /nonexistent/node.config")) {
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
}
