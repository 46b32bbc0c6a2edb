local skynet = require "skynet"
require "skynet.manager"
local checks = require "checks"
local check, q = checks.check, checks.q
local migration = require "migration"
local dir = SERVICE_PATH .. "scripts/"
skynet.start(function()
    local ok, message = migration.run(dir .. "migrate_user_v2.lua")
    check(ok and message == "migration migrate_user_v2: applied (2 statements)", "first run", ok, message)
    ok, message = migration.run(dir .. "migrate_user_v2.lua")
    check(ok and message:find("^migration migrate_user_v2 was already applied at .*; it is not run again$"), "second run", ok, message)

    ok, message = migration.run(dir .. "migrate_broken.lua")
    check(not ok and message:find("^migration migrate_broken: statement 2 failed: mysql error 1054 %(42S22%): "
        .. "Unknown column 'no_such_column' in .-; statement: UPDATE users SET no_such_column = 1$"), "failure", message)
    check(#q("SHOW TABLES LIKE 'audit'") == 1, "statement 1 ran, statement 3 did not")
    local rec = q("SELECT * FROM skyhost_migrations WHERE name = 'migrate_broken'")[1]
    check(rec.status == "failed" and rec.failed_statement == 2 and rec.failed_sql:find("no_such_column")
        and rec.error:find("mysql error 1054", 1, true) and rec.applied_at == nil, "failure recorded")
    -- A failed migration may run again once repaired.
    q("DROP TABLE audit")
    q("ALTER TABLE users ADD COLUMN no_such_column INT")
    ok, message = migration.run(dir .. "migrate_broken.lua")
    check(ok and message == "migration migrate_broken: applied (3 statements)", "the repaired migration is applied", message)
    ok, message = migration.run(dir .. "migrate_caught.lua")
    rec = q("SELECT * FROM skyhost_migrations WHERE name = 'migrate_caught'")[1]
    check(not ok and rec.status == "failed" and rec.failed_statement == 1, "a caught failure still fails the migration", message)

    ok, message = migration.run(dir .. "plain_script.lua")
    check(ok and message == "not a migration", "a script that is not a migration just runs", message)
    ok, message = migration.run(dir .. "missing.lua")
    check(not ok and message:find("cannot open", 1, true), "a missing file", message)
    local list = skynet.call(skynet.uniqueservice("mysql_mgr"), "lua", "migrations")
    check(#list == 3, "three migrations recorded", #list)
    skynet.error("DONE")
end)
