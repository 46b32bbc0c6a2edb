local skynet = require "skynet"
require "skynet.manager"
local checks = require "checks"
local check, q = checks.check, checks.q
skynet.start(function()
    local mgr = skynet.uniqueservice("mysql_mgr")
    check(mgr == skynet.uniqueservice("mysql_mgr"), "one mysql_mgr")
    local rows = q("SELECT * FROM items ORDER BY id")
    check(#rows == 2, "two rows", #rows)
    local a, b = rows[1], rows[2]
    check(a.id == 1 and math.type(a.id) == "integer", "INT is an integer", a.id)
    check(a.name == "sword", "VARCHAR is a string")
    check(a.qty == -3 and math.type(a.qty) == "integer", "SMALLINT negative", a.qty)
    check(a.big == 9007199254740993 and math.type(a.big) == "integer", "BIGINT keeps every digit", a.big)
    check(a.ubig == "18446744073709551615", "unsigned BIGINT above 2^63-1 stays a string", a.ubig)
    check(b.ubig == 7 and math.type(b.ubig) == "integer", "small unsigned BIGINT is an integer")
    check(a.price == 12.5 and math.type(a.price) == "float", "DECIMAL with a fraction is a float", a.price)
    check(a.whole == 12345678901234 and math.type(a.whole) == "integer", "DECIMAL(20,0) is an integer", a.whole)
    check(a.ratio == 0.25 and math.type(a.ratio) == "float", "DOUBLE is a float")
    check(a.flags == 5, "BIT is an integer", a.flags)
    check(a.born == "2024-02-29", "DATE is a string", a.born)
    check(a.note == "中文 ok", "TEXT keeps UTF-8", a.note)
    check(a.data == "\0\255\16", "BLOB keeps its bytes", #tostring(a.data))
    check(b.qty == nil and b.price == nil and b.data == nil and b.note == "", "NULL is nil, '' is ''")
    local n = 0
    for _ in pairs(b) do n = n + 1 end
    check(n == 4, "a row holds only its non-NULL columns", n)

    local r = q("INSERT INTO items (name) VALUES ('shield')")
    check(r.affected_rows == 1 and r.insert_id == 3, "INSERT: affected_rows and insert_id", r.affected_rows, r.insert_id)
    r = q("UPDATE items SET qty = 1 WHERE qty IS NULL")
    check(r.affected_rows == 2 and r.insert_id == 0, "UPDATE: affected_rows", r.affected_rows)
    check(#q("SELECT * FROM items WHERE id > 100") == 0, "an empty result is an empty list")
    local m = q("SELECT 1 AS one; SELECT 'x' AS two; DELETE FROM items WHERE id = 3")
    check(m.multiresultset == true and #m == 3 and m[1][1].one == 1 and m[2][1].two == "x"
        and m[3].affected_rows == 1, "several statements: multiresultset")

    -- A failing statement: query raises (the caller sees "call failed", mysql_mgr logs
    -- the server's message), try_query returns nil, message, code, sqlstate.
    local ok, err = pcall(q, "SELECT nope FROM items")
    check(not ok and tostring(err):find("call failed", 1, true), "query raises", err)
    local res, message, code, state = skynet.call(mgr, "lua", "try_query", "SELEC 1")
    check(res == nil and code == 1064 and state == "42000"
        and message:find("^mysql error 1064 %(42000%): You have an error in your SQL syntax"), "try_query", message, code, state)
    res, message, code = skynet.call(mgr, "lua", "try_query", "INSERT INTO items (id, name) VALUES (1, 'dup')")
    check(res == nil and code == 1062 and message:find("Duplicate entry '1' for key 'PRIMARY'", 1, true), "duplicate key", message)
    check(q("SELECT COUNT(*) AS n FROM items")[1].n == 2, "mysql_mgr keeps working after errors")
    skynet.error("DONE")
end)
