local skynet = require "skynet"
require "skynet.manager"
local checks = require "checks"
local check, q = checks.check, checks.q
skynet.start(function()
    local addr = skynet.newservice("migrate_user_v2")
    check(addr, "the migration service started")
    skynet.error("FIRST RUN DONE")
    -- Mark a row: if the UPDATE ran again it would be reset to 5.
    q("UPDATE users SET vip_level = 42 WHERE id = 11")
    local ok, again = pcall(skynet.newservice, "migrate_user_v2")
    check(not ok or again == nil, "the second start fails: the migration was applied")
    check(q("SELECT vip_level FROM users WHERE id = 11")[1].vip_level == 42, "nothing ran again")
    q("UPDATE users SET vip_level = 5 WHERE id = 11")
    skynet.error("DONE")
end)
