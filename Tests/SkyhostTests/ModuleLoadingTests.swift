import Foundation
import Testing

/// lua_path / luaservice / SERVICE_NAME / package.loaded per service, and no stale code cache.
@Suite struct ModuleLoadingTests {
    @Test func reRequiringAnEditedModuleGivesTheNewCode() throws {
        let node = try TestNode([
            "greeting.lua": "return { text = 'v1' }",
            "user.lua": """
                local skynet = require "skynet"
                skynet.start(function()
                    skynet.dispatch("lua", function(session, source, cmd)
                        if cmd == "reload" then package.loaded.greeting = nil end
                        skynet.retpack(require("greeting").text, SERVICE_NAME)
                    end)
                end)
                """,
            "main.lua": """
                local skynet = require "skynet"
                skynet.start(function()
                    local u1 = skynet.newservice("user")
                    local u2 = skynet.newservice("user")
                    skynet.error("before", skynet.call(u1, "lua", "get"), skynet.call(u2, "lua", "get"))
                    skynet.register_protocol {
                        name = "text", id = skynet.PTYPE_TEXT, unpack = skynet.tostring,
                        dispatch = function()
                            skynet.error("after", skynet.call(u1, "lua", "reload"), skynet.call(u2, "lua", "get"))
                            local u3 = skynet.newservice("user")
                            skynet.error("new service", skynet.call(u3, "lua", "get"))
                        end,
                    }
                end)
                """,
        ])
        try node.output.waitForLog(containing: "before v1 v1 user")
        try node.folder.write("greeting.lua", "return { text = 'v2' }")
        node.sendText(to: 8, "go")
        try node.output.waitForLog(containing: "new service v2 user")
        // u1 re-required and sees v2; u2 keeps its own package.loaded (v1) until it reloads.
        #expect(node.output.log.contains("[:00000008] after v2 v1 user"))
    }

    @Test func servicePathAndNameAreSet() throws {
        let node = try TestNode([
            "lib/helper.lua": "return { value = 5 }",
            "main.lua": """
                local skynet = require "skynet"
                skynet.start(function()
                    package.path = SERVICE_PATH .. "lib/?.lua;" .. package.path
                    skynet.error("name", SERVICE_NAME, require("helper").value, SERVICE_PATH ~= nil)
                end)
                """,
        ])
        try node.output.waitForLog(containing: "name main 5 true")
    }
}
