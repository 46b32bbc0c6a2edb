import Foundation
import Testing

/// Code hot update: lualib/hotfix.lua, service/updater.lua and the business-service
/// template of examples/hot_update, on real nodes with several services.
@Suite struct HotUpdateTests {
    static func example(_ path: String) throws -> String {
        try String(contentsOfFile: packageRoot + "/examples/hot_update/" + path, encoding: .utf8)
    }

    /// The example's business service and business_logic v1, plus the v2 / broken versions under
    /// other names (a test copies one over business_logic.lua with `install`).
    static func businessFiles() throws -> [String: String] {
        [
            "business_service.lua": try example("service/business_service.lua"),
            "business_logic.lua": try example("lualib/business_logic.lua"),
            "v1_business_logic.lua": try example("lualib/business_logic.lua"),
            "v2_business_logic.lua": try example("updates/v2/lualib/business_logic.lua"),
            "v3_broken_business_logic.lua": try example("updates/v3_broken/lualib/business_logic.lua"),
            "v3_syntax_business_logic.lua": try example("updates/v3_syntax/lualib/business_logic.lua"),
        ]
    }

    /// Lua helpers for a test's main service: check (logs "ok ..." or "FAIL ..."), write a file
    /// in the node's folder, install a version of business_logic.lua.
    /// `require "checks"` in the tests' main services: check, write, install, pack.
    static let checks = luaSource("checks.lua")

    /// Runs a node whose main logs "DONE" at the end; fails the test on any "FAIL" line and
    /// returns the node for further checks.
    @discardableResult
    static func run(_ files: [String: String], expectOK: Int, timeout: Double = 30) throws -> TestNode {
        var files = files
        files["checks.lua"] = checks
        let node = try TestNode(files)
        try node.output.waitForLog(containing: "] DONE", timeout: timeout)
        let failures = node.output.log.filter { $0.contains("] FAIL ") }
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
        let passed = node.output.log.filter { $0.contains("] ok") }.count
        #expect(passed == expectOK, "\(node.output.log.joined(separator: "\n"))")
        return node
    }

    // MARK: - The updater

    @Test func updateModuleReloadsTheModuleInEveryService() throws {
        var files = try Self.businessFiles()
        files["greeting.lua"] = "return { text = 'hello v1' }"
        files["greeter.lua"] = luaSource("updateModuleReloadsTheModuleInEveryService/greeter.lua")
        files["plain.lua"] = luaSource("updateModuleReloadsTheModuleInEveryService/plain.lua")
        files["main.lua"] = luaSource("updateModuleReloadsTheModuleInEveryService/main.lua")
        let node = try Self.run(files, expectOK: 14)
        // cdummy, datacenterd, service_mgr, main, 3 business, 2 greeters, plain: 10 services.
        let reports = node.output.lines(from: "main")
        let counts = "reloaded in 5 of 10 services; 5 without a _reload_module handler"
        #expect(reports.contains("REPORT OK: update_module greeting: " + counts))
        #expect(reports.contains("REPORT OK: update_module business_logic: " + counts))
    }

    @Test func updateServiceHotfixesEveryInstanceAndMigratesTheState() throws {
        var files = try Self.businessFiles()
        files["business_service_admin.lua"] = files["business_service.lua"]
        files["main.lua"] = luaSource("updateServiceHotfixesEveryInstanceAndMigratesTheState/main.lua")
        let node = try Self.run(files, expectOK: 7)
        #expect(node.output.lines(from: "main").contains("REPORT OK: update_service business_service: 2 of 2 updated"))
        #expect(node.output.lines(from: "main").contains("REPORT FAILED: update_service nosuch: no running service is named nosuch"))
        // The updater logs each service as the walkthrough shows.
        let updater = node.output.lines(from: "updater")
        #expect(updater.contains("开始更新服务: business_service"))
        #expect(updater.contains("服务 :0000000a 更新成功"))
        #expect(updater.contains("服务 :0000000b 更新成功"))
    }

    /// The hot-update walkthrough's template, character for character, hotfixed through the updater.
    @Test func theBusinessServiceTemplateRunsAsWritten() throws {
        var files = try Self.businessFiles()
        files["doc_template.lua"] = luaSource("theBusinessServiceTemplateRunsAsWritten/doc_template.lua")
        files["main.lua"] = luaSource("theBusinessServiceTemplateRunsAsWritten/main.lua")
        try Self.run(files, expectOK: 4)
    }

    @Test func aModuleWithASyntaxErrorLeavesTheOldCodeServing() throws {
        var files = try Self.businessFiles()
        files["main.lua"] = luaSource("aModuleWithASyntaxErrorLeavesTheOldCodeServing/main.lua")
        let node = try Self.run(files, expectOK: 6)
        let report = try #require(node.output.log.first { $0.contains("REPORT FAILED: update_module business_logic") })
        #expect(
            report.contains(
                "reloaded in 0 of 6 services; failed in 2: :0000000a :0000000b: reload failed: error loading module 'business_logic' from file"
            ))
        #expect(report.contains("business_logic.lua:9: unexpected symbol near 'end'; 4 without a _reload_module handler"))
        #expect(!report.contains("\n"))
        #expect(
            node.output.log.contains {
                $0.contains(
                    "REPORT FAILED: update_service business_service: 0 of 2 updated; :0000000a :0000000b: _hotfix failed: error loading module"
                )
            })
        // Each service logged the failure (HotFix.reload), and the updater logged each one.
        #expect(node.output.log.filter { $0.contains("模块重载失败: business_logic") }.count == 4)
        #expect(node.output.lines(from: "updater").contains { $0.hasPrefix("模块更新失败: business_logic :0000000a reload failed:") })
    }

    @Test func busyHungFailingAndExitingServicesAreReportedWithoutHoldingUpTheOthers() throws {
        let files = [
            // One service name, several behaviours (chosen by the launch argument).
            "worker.lua": luaSource("busyHungFailingAndExitingServicesAreReportedWithoutHoldingUpTheOthers/worker.lua"),
            "main.lua": luaSource("busyHungFailingAndExitingServicesAreReportedWithoutHoldingUpTheOthers/main.lua"),
        ]
        let node = try Self.run(files, expectOK: 5)
        let report = try #require(node.output.lines(from: "main").first { $0.contains("REPORT ") })
        #expect(report.hasPrefix("REPORT FAILED: update_service worker: 2 of 7 updated; "))
        #expect(
            report.contains(
                ":0000000b :0000000c: no answer within 0.5 s (busy or hung; it will apply the update when it reads the message)"))
        #expect(report.contains(":0000000d :0000000f: the call failed (no such handler, it raised, or the service exited)"))
        #expect(report.contains(":0000000e: _hotfix failed: disk full"))
    }

    @Test func runScriptRunsAFileInsideTheUpdater() throws {
        var files = try Self.businessFiles()
        files["scripts/ok.lua"] = luaSource("runScriptRunsAFileInsideTheUpdater/scripts/ok.lua")
        files["scripts/clean.lua"] = "return LEAKED == nil and _G.LEAKED == nil"
        files["scripts/syntax.lua"] = "return ("
        files["scripts/raises.lua"] = "local x = nil\nreturn x.y"
        files["scripts/exits.lua"] = "require('skynet').exit()"
        files["main.lua"] = luaSource("runScriptRunsAFileInsideTheUpdater/main.lua")
        let node = try Self.run(files, expectOK: 8)
        #expect(node.output.lines(from: "updater").contains("migration done"))
    }

    // MARK: - Requests during an update

    /// Four clients keep eight calls each in flight to three business services while the updater
    /// hotfixes them (v1 -> v2, then v2 -> v1, then v1 -> v2 again). Every answer must come whole
    /// from one version, the counts must run 1, 2, 3... without a gap or a repeat (no request
    /// lost, the state carried over at each step), and the versions must change at most once per
    /// update, in order.
    @Test func requestsDuringAnUpdateAreNeitherLostNorHalfUpdated() throws {
        var files = try Self.businessFiles()
        files["client.lua"] = luaSource("requestsDuringAnUpdateAreNeitherLostNorHalfUpdated/client.lua")
        files["main.lua"] = luaSource("requestsDuringAnUpdateAreNeitherLostNorHalfUpdated/main.lua")
        let node = try Self.run(files, expectOK: 9, timeout: 60)
        #expect(node.output.log.filter { $0.contains("TARGET") }.count == 3)
    }

    // MARK: - lualib/hotfix.lua itself

    @Test func hotfixKeepsTheOldModuleWhenTheNewOneFails() throws {
        let files = [
            "game/a.lua": "return { v = 1, name = 'a' }",
            "game/b.lua": "return { v = 1, name = 'b' }",
            "game/bad.lua": "return { v = 1 }",
            "other.lua": "return { v = 1 }",
            "main.lua": luaSource("hotfixKeepsTheOldModuleWhenTheNewOneFails/main.lua"),
        ]
        let node = try Self.run(files, expectOK: 16)
        #expect(node.output.log.contains { $0.contains("模块重载失败: game.bad") })
    }
}
