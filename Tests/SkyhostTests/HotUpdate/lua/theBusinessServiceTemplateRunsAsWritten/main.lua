local skynet = require "skynet"
require "skynet.manager"
local checks = require "checks"
local check, install, pack = checks.check, checks.install, checks.pack
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
