local skynet = require "skynet"
require "skynet.manager"
local checks = require "checks"
local check = checks.check
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
