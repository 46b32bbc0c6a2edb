-- skynet.db.mysql as Skynet's testmysql uses it: connect with on_connect, queries, a prepared
-- statement, several result sets, a bad statement, quoting; then a server that refuses the login.
local skynet = require "skynet"
local mysql = require "skynet.db.mysql"
local check = require("checks").check

skynet.start(function()
    local connected = 0
    local opts = {
        host = "127.0.0.1", port = tonumber(skynet.getenv "mysql_port"), database = skynet.getenv "mysql_database",
        user = "root", password = "", charset = "utf8mb4",
        on_connect = function(db) connected = connected + 1; db:query("set names utf8mb4") end,
    }
    local db = mysql.connect(opts)
    check(connected == 1, "on_connect ran")
    local res = db:query("create table cats (id serial primary key, name varchar(5))")
    check(res.affected_rows == 0 and res.server_status, "create", res.err)
    res = db:query("insert into cats (name) values ('Bob'),(''),(null)")
    check(res.affected_rows == 3 and res.insert_id == 1, "insert", res.affected_rows, res.insert_id)
    res = db:query("select * from cats order by id asc")
    check(#res == 3 and res[1].name == "Bob" and res[2].name == "" and res[3].name == nil and res[3].id == 3, "rows")
    res = db:query("select * from cats order by id asc ; select count(*) as n from cats")
    check(res.multiresultset and #res == 2 and res[2][1].n == 3, "multiresultset")
    res = db:query("select * from notexisttable")
    check(res.badresult and res.errno == 1146 and res.sqlstate == "42S02" and res.err:find("doesn't exist"), "badresult", res.err)

    local stmt = db:prepare("SELECT * FROM cats WHERE name=? or id = ?")
    check(stmt.prepare_id and stmt.param_count == 2, "prepare", stmt.param_count)
    res = db:execute(stmt, "Bob", 3)
    check(#res == 2 and res[1].name == "Bob" and res[2].id == 3, "execute", #res)
    res = db:execute(stmt, "it's \"quoted\"\\", nil)
    check(#res == 0, "execute with quotes and nil")
    res = db:execute(stmt, "Bob")
    check(res.badresult and res.err:find("param_count"), "execute with a missing parameter", res.err)
    db:stmt_close(stmt)
    res = db:execute(stmt, "Bob", 1)
    check(res.badresult, "closed statement", res.err)
    res = db:prepare("SELEC nonsense ?")
    check(res.badresult and res.errno == 1064, "prepare error", res.errno)
    local insert = db:prepare("insert into cats (name) values (?)")
    res = db:execute(insert, "Amy")
    check(res.affected_rows == 1 and res.insert_id == 4, "execute insert", res.insert_id)
    res = db:query("create procedure get_cat(in p_id int) begin select * from cats where id = p_id; end")
    check(not res.badresult, "procedure", res.err)
    local call = db:prepare("call get_cat(?)")
    res = db:execute(call, 4)
    check(res.mulitresultset and res[1][1].name == "Amy", "call through execute")
    check(db:ping().badresult == nil, "ping")
    check(mysql.quote_sql_str("\\mysql escape %string test'test\"") == [['\\mysql escape %string test\'test\"']], "quote")

    -- every coroutine gets its own result on the one connection
    local done, wrong = 0, 0
    local me = coroutine.running()
    for i = 1, 50 do
        skynet.fork(function()
            local r = db:query("select " .. i .. " as v")
            if r[1].v ~= i then wrong = wrong + 1 end
            done = done + 1
            if done == 50 then skynet.wakeup(me) end
        end)
    end
    skynet.wait(me)
    check(wrong == 0, "50 coroutines")
    db:disconnect()

    opts.password = "wrong"
    opts.on_connect = nil
    local ok, err = pcall(mysql.connect, opts)
    check(not ok and err:find("Access denied"), "refused login", err)
    skynet.error("DONE")
end)
