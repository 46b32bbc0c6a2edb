local skynet = require "skynet"
require "skynet.manager"
local checks = require "checks"
local check, write = checks.check, checks.write
local HotFix = require "hotfix"
local function bump(name, v)
    write(name:gsub("%.", "/") .. ".lua", "return { v = " .. v .. " }")
end
skynet.start(function()
    local a, bad, other = require "game.a", require "game.bad", require "other"	-- luacheck: ignore 211
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

    ok, mod = HotFix.reload("nowhere.to.be.found")	-- luacheck: ignore 311
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

    reloaded, failed = HotFix.reload_pattern(".")	-- luacheck: ignore 311
    local names = table.concat(reloaded, ",")
    check(not names:find("skynet") and not names:find("string") and names:find("other"), "a broad pattern skips the runtime", names)
    check(skynet.call(skynet.self(), "debug", "PING") == nil, "and the service still works")
    skynet.error("DONE")
end)
