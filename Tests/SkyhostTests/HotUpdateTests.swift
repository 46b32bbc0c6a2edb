import Foundation
import Testing

/// Code hot update (issue 4): lualib/hotfix.lua, service/updater.lua and the business-service
/// template of examples/hot_update, on real nodes with several services.
@Suite struct HotUpdateTests {
    /// The repository's top folder.
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path

    static func example(_ path: String) throws -> String {
        try String(contentsOfFile: repo + "/examples/hot_update/" + path, encoding: .utf8)
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
    static let prelude = """
        local skynet = require "skynet"
        require "skynet.manager"
        local function check(cond, ...) skynet.error(cond and "ok" or "FAIL", ...) end
        local function write(name, source)
            local f = assert(io.open(SERVICE_PATH .. name, "w"))
            f:write(source)
            f:close()
        end
        local function install(version)
            local f = assert(io.open(SERVICE_PATH .. version .. "_business_logic.lua"))
            write("business_logic.lua", f:read("a"))
            f:close()
        end
        local function pack(...) return table.pack(...) end

        """

    /// Runs a node whose main logs "DONE" at the end; fails the test on any "FAIL" line and
    /// returns the node for further checks.
    @discardableResult
    static func run(_ files: [String: String], expectOK: Int, timeout: Double = 30) throws -> TestNode {
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
        files["greeter.lua"] = """
            local skynet = require "skynet"
            local HotFix = require "hotfix"
            local CMD = {}
            function CMD.greet() return require("greeting").text end
            function CMD._reload_module(name) return (HotFix.reload(name)) end
            skynet.start(function()
                skynet.dispatch("lua", function(session, source, cmd, ...)
                    skynet.retpack(assert(CMD[cmd])(...))
                end)
            end)
            """
        files["plain.lua"] = """
            local skynet = require "skynet"
            skynet.start(function()
                skynet.dispatch("lua", function(session, source, cmd) skynet.retpack("plain " .. cmd) end)
            end)
            """
        files["main.lua"] = Self.prelude + """
            skynet.start(function()
                skynet.newservice("updater", "200")
                local biz = {}
                for i = 1, 3 do biz[i] = skynet.newservice("business_service") end
                local greeters = { skynet.newservice("greeter"), skynet.newservice("greeter", "with", "args") }
                local plain = skynet.newservice("plain")
                for i = 1, 3 do skynet.call(biz[i], "lua", "process", "alice") end
                check(skynet.call(greeters[2], "lua", "greet") == "hello v1", "greeter runs v1")

                -- A module edited on disk, reloaded in every service that has the hook.
                write("greeting.lua", "return { text = 'hello v2' }")
                local results, report = skynet.call(".updater", "lua", "update_module", "greeting")
                skynet.error("REPORT", report)
                for _, g in ipairs(greeters) do
                    local r = results[skynet.address(g)]
                    check(r and r.ok == true and r.result == true, "greeter acknowledged", skynet.address(g))
                    check(skynet.call(g, "lua", "greet") == "hello v2", "greeter runs v2")
                end
                local r = results[skynet.address(plain)]
                check(r and r.ok == true and r.result == "plain _reload_module", "a service without the hook answered as it does")
                check(results[skynet.address(skynet.self())].ok == false, "main has no lua dispatch: the call failed")
                check(results[skynet.address(skynet.localname(".updater"))] == nil, "the updater does not ask itself")

                -- The business module through update_module: the template keeps the counters.
                install("v2")
                results, report = skynet.call(".updater", "lua", "update_module", "business_logic")
                skynet.error("REPORT", report)
                for i = 1, 3 do
                    check(results[skynet.address(biz[i])].result == true, "business service acknowledged")
                    local a = pack(skynet.call(biz[i], "lua", "process", "alice"))
                    check(a[1] == "v2" and a[2] == "alice" and a[3] == 2 and a[4] == 1, "v2 with the count carried over", table.unpack(a))
                end
                skynet.error("DONE")
            end)
            """
        let node = try Self.run(files, expectOK: 14)
        // cdummy, datacenterd, service_mgr, main, 3 business, 2 greeters, plain: 10 services.
        #expect(node.output.log.contains(
            "[:00000008] REPORT OK: update_module greeting: reloaded in 5 of 10 services; 5 without a _reload_module handler"))
        #expect(node.output.log.contains(
            "[:00000008] REPORT OK: update_module business_logic: reloaded in 5 of 10 services; 5 without a _reload_module handler"))
    }

    @Test func updateServiceHotfixesEveryInstanceAndMigratesTheState() throws {
        var files = try Self.businessFiles()
        files["business_service_admin.lua"] = files["business_service.lua"]
        files["main.lua"] = Self.prelude + """
            skynet.start(function()
                skynet.newservice("updater")
                local b1 = skynet.newservice("business_service")
                local b2 = skynet.newservice("business_service", "zone", "2")
                local other = skynet.newservice("business_service_admin")
                for _ = 1, 4 do skynet.call(b1, "lua", "process", "alice") end
                skynet.call(b1, "lua", "process", "bob")
                skynet.call(b2, "lua", "process", "alice")
                skynet.call(other, "lua", "process", "alice")

                install("v2")
                local updated, report = skynet.call(".updater", "lua", "update_service", "business_service")
                skynet.error("REPORT", report)
                check(updated == 2, "two instances updated (launched with and without arguments)", updated)

                local a = pack(skynet.call(b1, "lua", "process", "alice"))
                check(a[1] == "v2" and a[3] == 5 and a[4] == 2, "alice: 4 requests migrated, level derived", table.unpack(a))
                a = pack(skynet.call(b1, "lua", "process", "bob"))
                check(a[1] == "v2" and a[3] == 2 and a[4] == 1, "bob migrated", table.unpack(a))
                a = pack(skynet.call(b2, "lua", "process", "alice"))
                check(a[1] == "v2" and a[3] == 2, "each instance keeps its own state", table.unpack(a))
                a = pack(skynet.call(other, "lua", "process", "alice"))
                check(a[1] == "v1" and a[3] == 2, "a service of another name is not touched", table.unpack(a))

                -- Back to v1 (a rollback): v2 kept v1's state shape, so the counts survive.
                install("v1")
                updated, report = skynet.call(".updater", "lua", "update_service", "business_service")
                skynet.error("REPORT", report)
                a = pack(skynet.call(b1, "lua", "process", "alice"))
                check(a[1] == "v1" and a[3] == 6 and a.n == 3, "rolled back to v1 with the count", table.unpack(a))

                updated, report = skynet.call(".updater", "lua", "update_service", "nosuch")
                check(updated == 0, "no service of that name")
                skynet.error("REPORT", report)
                skynet.error("DONE")
            end)
            """
        let node = try Self.run(files, expectOK: 7)
        #expect(node.output.log.contains("[:00000008] REPORT OK: update_service business_service: 2 of 2 updated"))
        #expect(node.output.log.contains("[:00000008] REPORT FAILED: update_service nosuch: no running service is named nosuch"))
        // The updater logs each service as the document does.
        #expect(node.output.log.contains("[:00000009] 开始更新服务: business_service"))
        #expect(node.output.log.contains("[:00000009] 服务 :0000000a 更新成功"))
        #expect(node.output.log.contains("[:00000009] 服务 :0000000b 更新成功"))
    }

    /// The document's template, character for character, hotfixed through the updater.
    @Test func theDocumentsTemplateRunsAsWritten() throws {
        var files = try Self.businessFiles()
        files["doc_template.lua"] = """
            -- 业务服务模板(包含热更新支持)
            local skynet = require "skynet"
            local HotFix = require "hotfix"

            -- 业务逻辑模块
            local business = require "business_logic"

            local CMD = {}

            -- 业务命令
            function CMD.process(data)
                return business.process(data)
            end

            -- ===== 热更新接口 =====

            -- 重载单个模块
            function CMD._reload_module(module_name)
                local ok, mod = HotFix.reload(module_name)
                if ok and module_name == "business_logic" then
                    business = mod  -- 更新引用
                end
                return ok
            end

            -- 完整热更新
            function CMD._hotfix()
                -- 1. 保存当前状态
                local state = business.get_state and business.get_state()

                -- 2. 重新加载业务模块
                local ok, new_business = HotFix.reload("business_logic")
                if not ok then
                    return false, new_business
                end

                -- 3. 迁移状态到新模块
                if state and new_business.set_state then
                    new_business.set_state(state)
                end

                -- 4. 更新引用
                business = new_business

                return true
            end

            skynet.start(function()
                skynet.dispatch("lua", function(session, source, cmd, ...)
                    local f = assert(CMD[cmd])
                    if session ~= 0 then
                        skynet.retpack(f(...))
                    else
                        f(...)
                    end
                end)
            end)
            """
        files["main.lua"] = Self.prelude + """
            skynet.start(function()
                skynet.newservice("updater")
                local s = skynet.newservice("doc_template")
                skynet.call(s, "lua", "process", "alice")
                skynet.call(s, "lua", "process", "alice")
                install("v2")
                local updated = skynet.call(".updater", "lua", "update_service", "doc_template")
                check(updated == 1, "updated")
                local a = pack(skynet.call(s, "lua", "process", "alice"))
                check(a[1] == "v2" and a[3] == 3 and a[4] == 2, "state migrated by _hotfix", table.unpack(a))
                install("v3_syntax")
                local ok, err = skynet.call(s, "lua", "_hotfix")
                check(ok == false and err:find("unexpected symbol", 1, true), "a failed _hotfix answers false, reason", err)
                a = pack(skynet.call(s, "lua", "process", "alice"))
                check(a[1] == "v2" and a[3] == 4, "and v2 keeps serving", table.unpack(a))
                skynet.error("DONE")
            end)
            """
        try Self.run(files, expectOK: 4)
    }

    @Test func aModuleWithASyntaxErrorLeavesTheOldCodeServing() throws {
        var files = try Self.businessFiles()
        files["main.lua"] = Self.prelude + """
            skynet.start(function()
                skynet.newservice("updater")
                local biz = { skynet.newservice("business_service"), skynet.newservice("business_service") }
                for i = 1, 2 do skynet.call(biz[i], "lua", "process", "alice") end

                install("v3_syntax")
                local results, report = skynet.call(".updater", "lua", "update_module", "business_logic")
                skynet.error("REPORT", report)
                for i = 1, 2 do
                    local r = results[skynet.address(biz[i])]
                    check(r.ok == true and r.result == false and r.error:find("unexpected symbol near 'end'", 1, true),
                        "the service answered false with the compiler's message")
                    local a = pack(skynet.call(biz[i], "lua", "process", "alice"))
                    check(a[1] == "v1" and a[3] == 2, "v1 still serves, with its state", table.unpack(a))
                end
                local updated
                updated, report = skynet.call(".updater", "lua", "update_service", "business_service")
                skynet.error("REPORT", report)
                check(updated == 0, "update_service updated nothing")

                -- Fixed on disk: the next reload takes it (no cache to clear).
                install("v2")
                updated, report = skynet.call(".updater", "lua", "update_service", "business_service")
                local a = pack(skynet.call(biz[1], "lua", "process", "alice"))
                check(updated == 2 and a[1] == "v2" and a[3] == 3, "the fixed version loads", table.unpack(a))
                skynet.error("DONE")
            end)
            """
        let node = try Self.run(files, expectOK: 6)
        let report = try #require(node.output.log.first { $0.contains("REPORT FAILED: update_module business_logic") })
        #expect(report.contains("reloaded in 0 of 6 services; failed in 2: :0000000a :0000000b: reload failed: error loading module 'business_logic' from file"))
        #expect(report.contains("business_logic.lua:9: unexpected symbol near 'end'; 4 without a _reload_module handler"))
        #expect(!report.contains("\n"))
        #expect(node.output.log.contains { $0.contains("REPORT FAILED: update_service business_service: 0 of 2 updated; :0000000a :0000000b: _hotfix failed: error loading module") })
        // Each service logged the failure (HotFix.reload), and the updater logged each one.
        #expect(node.output.log.filter { $0.contains("模块重载失败: business_logic") }.count == 4)
        #expect(node.output.log.contains { $0.hasPrefix("[:00000009] 模块更新失败: business_logic :0000000a reload failed:") })
    }

    @Test func busyHungFailingAndExitingServicesAreReportedWithoutHoldingUpTheOthers() throws {
        let files = [
            // One service name, several behaviours (chosen by the launch argument).
            "worker.lua": """
                local skynet = require "skynet"
                local mode = ...
                local version = "old"
                local CMD = {}
                function CMD.version() return version end
                function CMD.spin(seconds)
                    local stop = os.clock() + seconds
                    while os.clock() < stop do end
                end
                if mode ~= "nohook" then
                    function CMD._hotfix()
                        if mode == "hung" then skynet.wait() end
                        if mode == "fails" then return false, "disk full" end
                        if mode == "exits" then skynet.exit() end
                        version = "new"
                        return true
                    end
                end
                skynet.start(function()
                    skynet.dispatch("lua", function(session, source, cmd, ...)
                        local f = assert(CMD[cmd])
                        if session ~= 0 then skynet.retpack(f(...)) else f(...) end
                    end)
                end)
                """,
            "main.lua": Self.prelude + """
                skynet.start(function()
                    skynet.newservice("updater", "50")   -- half a second per service at most
                    local w = {}
                    for _, mode in ipairs { "ok", "busy", "hung", "nohook", "fails", "exits", "ok" } do
                        w[#w + 1] = skynet.newservice("worker", mode)
                    end
                    skynet.send(w[2], "lua", "spin", 1.5)   -- busy for 1.5 s: holds one of the two threads
                    local start = skynet.now()
                    local updated, report = skynet.call(".updater", "lua", "update_service", "worker")
                    local took = skynet.now() - start
                    skynet.error("REPORT", report)
                    check(updated == 2, "the two healthy workers were updated", updated)
                    check(took >= 45 and took < 140, "one time limit for all, not one per service", took)
                    check(skynet.call(w[1], "lua", "version") == "new" and skynet.call(w[7], "lua", "version") == "new", "healthy ones run the new code")
                    check(skynet.call(w[5], "lua", "version") == "old", "the failed one keeps the old")
                    -- The busy one reads the _hotfix message when it is free again.
                    check(skynet.call(w[2], "lua", "version") == "new", "the busy one applies it late")
                    skynet.error("DONE")
                end)
                """,
        ]
        let node = try Self.run(files, expectOK: 5)
        let report = try #require(node.output.log.first { $0.contains("REPORT ") })
        #expect(report.hasPrefix("[:00000008] REPORT FAILED: update_service worker: 2 of 7 updated; "))
        #expect(report.contains(":0000000b :0000000c: no answer within 0.5 s (busy or hung; it will apply the update when it reads the message)"))
        #expect(report.contains(":0000000d :0000000f: the call failed (no such handler, it raised, or the service exited)"))
        #expect(report.contains(":0000000e: _hotfix failed: disk full"))
    }

    @Test func runScriptRunsAFileInsideTheUpdater() throws {
        var files = try Self.businessFiles()
        files["scripts/ok.lua"] = """
            -- Written as a service, like the document's migration script.
            local skynet = require "skynet"
            local count
            skynet.start(function()
                count = select(3, skynet.call(".biz", "lua", "process", "script"))
                skynet.error("migration done")
            end)
            LEAKED = true
            return "count " .. count
            """
        files["scripts/clean.lua"] = "return LEAKED == nil and _G.LEAKED == nil"
        files["scripts/syntax.lua"] = "return ("
        files["scripts/raises.lua"] = "local x = nil\nreturn x.y"
        files["scripts/exits.lua"] = "require('skynet').exit()"
        files["main.lua"] = Self.prelude + """
            skynet.start(function()
                skynet.newservice("updater")
                skynet.name(".biz", skynet.newservice("business_service"))
                local dir = SERVICE_PATH .. "scripts/"
                local function run(name) return skynet.call(".updater", "lua", "run_script", dir .. name) end
                local ok, result = run("ok.lua")
                check(ok == true and result == "count 1", "a script runs and returns", ok, result)
                ok, result = run("clean.lua")
                check(ok == true and result == true, "its globals stayed in its own environment")
                ok, result = run("syntax.lua")
                check(ok == false and result:find("^脚本编译失败: .*syntax%.lua:1: unexpected symbol near <eof>"), "compile error", result)
                ok, result = run("raises.lua")
                check(ok == false and result:find("^脚本执行失败: .*raises%.lua:2: attempt to index a nil value"), "runtime error", result)
                ok, result = run("exits.lua")
                check(ok == false and result:find("skynet.exit would stop the updater", 1, true), "exit refused", result)
                ok, result = run("missing.lua")
                check(ok == false and result == "无法打开脚本文件: " .. dir .. "missing.lua", "missing file", result)
                ok, result = skynet.call(".updater", "lua", "nosuch")
                check(ok == false and result:find("unknown updater command nosuch", 1, true), "unknown command", result)
                check(run("clean.lua") == true, "the updater still serves")
                skynet.error("DONE")
            end)
            """
        let node = try Self.run(files, expectOK: 8)
        #expect(node.output.log.contains("[:00000009] migration done"))
    }

    // MARK: - Requests during an update

    /// Four clients keep eight calls each in flight to three business services while the updater
    /// hotfixes them (v1 -> v2, then v2 -> v1, then v1 -> v2 again). Every answer must come whole
    /// from one version, the counts must run 1, 2, 3... without a gap or a repeat (no request
    /// lost, the state carried over at each step), and the versions must change at most once per
    /// update, in order.
    @Test func requestsDuringAnUpdateAreNeitherLostNorHalfUpdated() throws {
        var files = try Self.businessFiles()
        files["client.lua"] = """
            local skynet = require "skynet"
            local targets = {}
            local answers = {}   -- per target: list of { version, count, level, n }
            local running = true
            local busy = 0
            local CMD = {}
            function CMD.start(list)
                targets = list
                for t = 1, #targets do answers[t] = {} end
                for t = 1, #targets do
                    for _ = 1, 8 do
                        busy = busy + 1
                        skynet.fork(function()
                            while running do
                                local a = table.pack(pcall(skynet.call, targets[t], "lua", "process", "p"))
                                local list = answers[t]
                                list[#list + 1] = a
                            end
                            busy = busy - 1
                        end)
                    end
                end
            end
            function CMD.answered()
                local n = 0
                for t = 1, #answers do n = n + #answers[t] end
                return n
            end
            function CMD.stop()
                running = false
                while busy > 0 do skynet.sleep(1) end
                return answers
            end
            skynet.start(function()
                skynet.dispatch("lua", function(_, _, cmd, ...) skynet.retpack(CMD[cmd](...)) end)
            end)
            """
        files["main.lua"] = Self.prelude + """
            skynet.start(function()
                skynet.newservice("updater")
                local biz, clients = {}, {}
                for i = 1, 3 do biz[i] = skynet.newservice("business_service") end
                for i = 1, 4 do clients[i] = skynet.newservice("client") end
                for i = 1, 4 do skynet.call(clients[i], "lua", "start", biz) end
                local function answered()
                    local n = 0
                    for i = 1, 4 do n = n + skynet.call(clients[i], "lua", "answered") end
                    return n
                end
                -- Before each update and after the last, until 30 more answers have come.
                local function traffic()
                    local goal = answered() + 30
                    while answered() < goal do skynet.sleep(1) end
                end
                local plan = { "v2", "v1", "v2" }
                for _, version in ipairs(plan) do
                    traffic()
                    install(version)
                    local updated = skynet.call(".updater", "lua", "update_service", "business_service")
                    check(updated == 3, "update to", version)
                end
                traffic()
                local per_target = {}
                for i = 1, 4 do
                    local answers = skynet.call(clients[i], "lua", "stop")
                    for t = 1, 3 do
                        per_target[t] = per_target[t] or {}
                        for _, a in ipairs(answers[t]) do table.insert(per_target[t], a) end
                    end
                end
                for t = 1, 3 do
                    local list = per_target[t]
                    local by_count = {}
                    local failures, malformed = 0, 0
                    for _, a in ipairs(list) do
                        if not a[1] then
                            failures = failures + 1
                        else
                            local version, player, count, level = a[2], a[3], a[4], a[5]
                            local whole = player == "p" and math.type(count) == "integer"
                                and ((version == "v1" and a.n == 4) or (version == "v2" and a.n == 5 and level == 1 + count // 3))
                            if not whole or by_count[count] then malformed = malformed + 1 end
                            by_count[count] = version
                        end
                    end
                    -- counts 1..#list, each once; versions change only at the updates, in plan order
                    local gaps, changes, sequence = 0, 0, { "v1" }
                    local previous = "v1"
                    for c = 1, #list do
                        local v = by_count[c]
                        if not v then gaps = gaps + 1
                        elseif v ~= previous then
                            changes = changes + 1
                            sequence[#sequence + 1] = v
                            previous = v
                        end
                    end
                    skynet.error(string.format("TARGET %d answers=%d failures=%d malformed=%d gaps=%d sequence=%s",
                        t, #list, failures, malformed, gaps, table.concat(sequence, ">")))
                    check(#list > 300 and failures == 0 and malformed == 0 and gaps == 0, "every request answered once, whole")
                    check(table.concat(sequence, ">") == "v1>v2>v1>v2", "the versions changed at each update only")
                end
                skynet.error("DONE")
            end)
            """
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
            "main.lua": Self.prelude + """
                local HotFix = require "hotfix"
                local function bump(name, v)
                    write(name:gsub("%.", "/") .. ".lua", "return { v = " .. v .. " }")
                end
                skynet.start(function()
                    local a, bad, other = require "game.a", require "game.bad", require "other"
                    require "game.b"

                    bump("game.a", 2)
                    local ok, mod = HotFix.reload("game.a")
                    check(ok and mod.v == 2 and package.loaded["game.a"] == mod, "reload gives the edited module")

                    write("game/bad.lua", "local t = {} t.x.y = 1 return t")
                    ok, mod = HotFix.reload("game.bad")
                    check(not ok and mod:find("attempt to index a nil value", 1, true), "a module that raises: false, error", mod)
                    check(package.loaded["game.bad"] == bad, "the old module stays loaded")
                    check(require("game.bad") == bad, "and require still returns it")

                    write("game/bad.lua", "return {")
                    ok, mod = HotFix.reload("game.bad")
                    check(not ok and mod:find("expected", 1, true) and package.loaded["game.bad"] == bad, "syntax error: old module kept", mod)

                    ok, mod = HotFix.reload("nowhere.to.be.found")
                    check(not ok and package.loaded["nowhere.to.be.found"] == nil, "a missing module: false, nothing loaded")

                    for _, name in ipairs { "skynet", "skynet.socket", "string", "_G" } do
                        local before = package.loaded[name]
                        ok, mod = HotFix.reload(name)
                        check(not ok and package.loaded[name] == before, "refused:", mod)
                    end

                    bump("game.a", 3) bump("game.b", 3) bump("other", 3)
                    local reloaded, failed = HotFix.reload_pattern("^game%.")
                    check(table.concat(reloaded, ",") == "game.a,game.b", "reload_pattern: sorted names", table.concat(reloaded, ","))
                    check(failed["game.bad"] and package.loaded["game.bad"] == bad, "reload_pattern: the failure is kept apart")
                    check(require("game.a").v == 3 and require("other") == other, "only matching modules")

                    bump("game.a", 4)
                    reloaded = HotFix.reload_dir("game.")
                    check(table.concat(reloaded, ",") == "game.a,game.b" and require("game.a").v == 4, "reload_dir")

                    reloaded, failed = HotFix.reload_pattern(".")
                    local names = table.concat(reloaded, ",")
                    check(not names:find("skynet") and not names:find("string") and names:find("other"), "a broad pattern skips the runtime", names)
                    check(skynet.call(skynet.self(), "debug", "PING") == nil, "and the service still works")
                    skynet.error("DONE")
                end)
                """,
        ]
        let node = try Self.run(files, expectOK: 16)
        #expect(node.output.log.contains { $0.contains("模块重载失败: game.bad") })
    }
}
