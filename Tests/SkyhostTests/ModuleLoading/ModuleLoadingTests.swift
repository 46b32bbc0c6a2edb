import Foundation
import Testing

/// lua_path / luaservice / SERVICE_NAME / package.loaded per service, and no stale code cache.
@Suite struct ModuleLoadingTests {
    @Test func reRequiringAnEditedModuleGivesTheNewCode() throws {
        let node = try TestNode([
            "greeting.lua": "return { text = 'v1' }",
            "user.lua": luaSource("reRequiringAnEditedModuleGivesTheNewCode/user.lua"),
            "main.lua": luaSource("reRequiringAnEditedModuleGivesTheNewCode/main.lua"),
        ])
        try node.output.waitForLog(containing: "before v1 v1 user")
        try node.folder.write("greeting.lua", "return { text = 'v2' }")
        node.sendText(to: 8, "go")
        try node.output.waitForLog(containing: "new service v2 user")
        // u1 re-required and sees v2; u2 keeps its own package.loaded (v1) until it reloads.
        #expect(node.output.lines(from: "main").contains("after v2 v1 user"))
    }

    @Test func servicePathAndNameAreSet() throws {
        let node = try TestNode([
            "lib/helper.lua": "return { value = 5 }",
            "main.lua": luaSource("servicePathAndNameAreSet/main.lua"),
        ])
        try node.output.waitForLog(containing: "name main 5 true")
    }
}
