-- service/mysql_mgr.lua: the node's database service, `skynet.uniqueservice("mysql_mgr")`.
--
-- Statements run on the threads of a native driver service (require "skyhost.mysql"), never on
-- the worker threads: a slow statement (SELECT SLEEP(2)) keeps only its caller waiting, while
-- mysql_mgr itself goes on serving other callers (every request is its own coroutine) and the
-- rest of the node goes on as usual.
--
-- Connection settings, from the node config (skynet.getenv):
--   mysql_host (127.0.0.1), mysql_port (3306) -- or mysql_socket, a unix socket path, used instead
--   mysql_user (root), mysql_password (none), mysql_database (none)
--   mysql_charset (utf8mb4), mysql_connect_timeout (5 seconds), mysql_pool (2 connections)
--   migration_pattern ("^migrate_"): the service / script names that are migrations (below)
-- Nothing connects at start: each connection opens at its first statement, and is opened again
-- after the server closed it (a restart), so the node does not depend on the database being up.
--
-- Commands (the `lua` protocol):
--   query(sql)       -> rows | { affected_rows =, insert_id =, server_status =, warning_count = }
--                       rows: a list of { column = value } (see "Values"); several statements in
--                       one string give { result1, result2, ..., multiresultset = true }.
--                       A failed statement RAISES: the caller's skynet.call raises "call failed"
--                       (Skynet's rule for a request that raised), so a script that does not check
--                       results (scripts/migrate_user_v2.lua) stops at the failing statement; this
--                       service logs "mysql error <code> (<sqlstate>): <server message>; statement:
--                       <sql>" with the traceback.
--   try_query(sql)   -> the same result, or nil, "mysql error <code> (<sqlstate>): <message>",
--                       code, sqlstate -- for callers that want to handle the error themselves.
--   migrations()     -> the records of skyhost_migrations, oldest first
--   forget(name)     -> deletes the record of migration `name` (to run it again after a repair)
--   migration_begin(name, text, origin), migration_end(ok, err) -- for lualib/migration.lua
--
-- Values: integer columns are Lua integers, FLOAT/DOUBLE floats, DECIMAL an integer when it has no
-- fractional part and fits (a float otherwise), text/blob/date/time columns strings. NULL is nil:
-- the column's key is absent from the row (as Skynet's mysql.lua).
--
-- Migrations (beyond the classic version): a migration is a script whose name matches
-- `migration_pattern` (scripts/migrate_user_v2.lua -> "migrate_user_v2"). Its runs are recorded in
-- the table skyhost_migrations (name, checksum = SHA-256 of the file, status, statements, times,
-- the failing statement and error), created when first needed in mysql_database:
--   * run by lualib/migration.lua (updater's run_script, scripts/hotfix.sh NODE script FILE):
--     migration_begin / migration_end bracket the run; a migration already applied with the same
--     checksum is not run again ("already applied"), one whose file changed since is refused;
--   * started as a service (skynet.newservice("migrate_user_v2")): the file cannot be wrapped, so
--     this service recognises the caller at its first statement (the launcher lists it as
--     "snlua migrate_user_v2"), checks the record (an applied migration raises "already applied"
--     before anything runs), and records each statement as it succeeds: the record reads
--     "applied" as soon as every statement run so far succeeded, "failed" with the statement when
--     one fails.
-- Either way a failing statement is recorded with its number in the run, its text and the
-- server's error, and named in the error (e.g. "migration migrate_user_v2: statement 1 failed:
-- mysql error 1060 (42S21): Duplicate column name 'vip_level'; statement: ALTER TABLE users ...").

local skynet = require "skynet"
local mysql = require "skyhost.mysql"
local queue = require "skynet.queue"
local migration = require "migration"	-- (which names are migrations)

local format = string.format

local driver
local CMD = {}

---------------------------------------------------------------------------------------------------
-- Settings and statements

local function setting(key)
	local v = skynet.getenv(key)
	if v == nil or v == "" then
		return nil
	end
	return v
end

local function integer_setting(key)
	local v = setting(key)
	if v == nil then
		return nil
	end
	local n = math.tointeger(tonumber(v))
	if not n then
		error(format("mysql_mgr: %s must be an integer, not %q", key, v))
	end
	return n
end

local function settings()
	return {
		host = setting "mysql_host" or "127.0.0.1",
		port = integer_setting "mysql_port" or 3306,
		socket = setting "mysql_socket",
		user = setting "mysql_user" or "root",
		password = setting "mysql_password",
		database = setting "mysql_database",
		charset = setting "mysql_charset",
		connect_timeout = integer_setting "mysql_connect_timeout",
		pool = integer_setting "mysql_pool",
	}
end

-- The statement as one short line, for messages.
local function excerpt(sql)
	local line = tostring(sql):gsub("%s+", " "):gsub("^ ", ""):gsub(" $", "")
	if #line > 300 then
		line = line:sub(1, 297) .. "..."
	end
	return line
end

local function describe(err)
	local text = format("mysql error %s (%s): %s", tostring(err.errno), tostring(err.sqlstate), tostring(err.err))
	if err.statement then
		text = text .. format(" (statement %d of the call)", err.statement)
	end
	return text
end

-- ok, result | false, error table (see the native driver).
local function execute(sql)
	if type(sql) ~= "string" then
		return false, { badresult = true, errno = 0, sqlstate = "HY000", err = "SQL text expected, got " .. type(sql) }
	end
	return skynet.call(driver, "lua", sql)
end

-- The result, or raises with the server's message.
local function must(sql)
	local ok, res = execute(sql)
	if not ok then
		error(describe(res) .. "; statement: " .. excerpt(sql), 0)
	end
	return res
end

local escapes = { ["\0"] = "\\0", ["\\"] = "\\\\", ["'"] = "\\'", ['"'] = '\\"', ["\n"] = "\\n", ["\r"] = "\\r", ["\26"] = "\\Z" }

local function quote(value)
	if value == nil then
		return "NULL"
	end
	if math.type(value) == "integer" then
		return tostring(value)
	end
	return "'" .. (tostring(value):gsub("[%z\\'\"\n\r\26]", escapes)) .. "'"
end

---------------------------------------------------------------------------------------------------
-- Migration records

local TABLE = "skyhost_migrations"
local table_ready = false

local function ensure_table()
	if table_ready then
		return
	end
	must([[
		CREATE TABLE IF NOT EXISTS skyhost_migrations (
			name VARCHAR(191) NOT NULL PRIMARY KEY,
			checksum CHAR(64) NOT NULL,
			status VARCHAR(16) NOT NULL,
			statements INT NOT NULL DEFAULT 0,
			started_at DATETIME NULL,
			applied_at DATETIME NULL,
			failed_statement INT NULL,
			failed_sql TEXT NULL,
			error TEXT NULL,
			runner VARCHAR(255) NULL
		)]])
	table_ready = true
end

local function record_of(name)
	ensure_table()
	return must(format("SELECT * FROM %s WHERE name = %s", TABLE, quote(name)))[1]
end

local runs = {}          -- source -> the migration run its statements belong to
local classified = {}    -- source -> false: not a migration service
local refused = {}       -- source -> why: a migration service that may not run
local active = {}        -- migration name -> run in progress
local starting = queue() -- one migration start at a time

-- A migration may start unless it was applied, or is running now. Returns nil, or the reason
-- (and the record) it may not.
local function refusal(name, checksum)
	local record = record_of(name)
	if record and record.status == "applied" then
		if record.checksum == checksum then
			return format("migration %s was already applied at %s (checksum %s); it is not run again",
				name, tostring(record.applied_at), checksum:sub(1, 12)), record, "applied"
		end
		return format("migration %s was applied at %s from a different file (checksum %s, now %s): "
			.. "a changed migration needs a new name (or `forget` the record after checking the data)",
			name, tostring(record.applied_at), tostring(record.checksum):sub(1, 12), checksum:sub(1, 12)), record
	end
	if active[name] then
		return format("migration %s is running now (%s)", name, active[name].origin), record
	end
	return nil, record
end

local function begin_run(source, name, text, origin, explicit)
	local checksum = mysql.checksum(text)
	local why, record, state = refusal(name, checksum)
	if why then
		return nil, why, state, record
	end
	if record and record.status == "running" then
		skynet.error(format("migration %s: the previous run (%s) did not finish; running it again", name, tostring(record.runner)))
	end
	must(format([[INSERT INTO %s (name, checksum, status, statements, started_at, applied_at,
			failed_statement, failed_sql, error, runner)
		VALUES (%s, %s, 'running', 0, NOW(), NULL, NULL, NULL, NULL, %s)
		ON DUPLICATE KEY UPDATE checksum = VALUES(checksum), status = 'running', statements = 0,
			started_at = NOW(), applied_at = NULL, failed_statement = NULL, failed_sql = NULL,
			error = NULL, runner = VALUES(runner)]],
		TABLE, quote(name), quote(checksum), quote(origin)))
	local run = { name = name, checksum = checksum, origin = origin, explicit = explicit, statements = 0, source = source }
	runs[source] = run
	if explicit then
		active[name] = run	-- (only runs with an end, migration_end, are tracked: a service's run
			-- has none; its record says how far it got)
	end
	skynet.error(format("migration %s: started (%s, checksum %s)", name, origin, checksum:sub(1, 12)))
	return run
end

local function finish_run(run)
	if runs[run.source] == run then
		runs[run.source] = nil
	end
	if active[run.name] == run then
		active[run.name] = nil
	end
end

-- The file of service `name`, found as the loader finds it (the luaservice patterns).
local function service_file(name)
	for pattern in string.gmatch(skynet.getenv("luaservice") or "", "[^;]+") do
		local path = pattern:gsub("%?", function() return name end)
		local f = io.open(path, "rb")
		if f then
			local text = f:read("a")
			f:close()
			return path, text
		end
	end
end

-- The launcher's list as last fetched (address -> "snlua NAME ..."): a service's entry never
-- changes, so it is fetched again only for a caller it does not know.
local launcher_list = {}

local function description(source)
	local addr = skynet.address(source)
	local desc = launcher_list[addr]
	if desc == nil then
		launcher_list = skynet.call(".launcher", "lua", "LIST")
		desc = launcher_list[addr]
	end
	return desc
end

-- The migration run a statement from `source` belongs to, starting one for a migration service
-- at its first statement; nil for any other caller. Raises when the migration may not run.
local function classify(source)
	if runs[source] or classified[source] == false then
		return runs[source]
	end
	local desc = description(source)
	local name = desc and desc:match("^snlua%s+(%S+)")
	if not (name and migration.is_migration(name)) then
		classified[source] = false
		return nil
	end
	local path, text = service_file(name)
	if not path then
		error(format("migration %s: cannot find its file on luaservice to record it", name), 0)
	end
	local run, why = begin_run(source, name, text, format("service %s %s", skynet.address(source), path), false)
	if not run then
		refused[source] = why	-- nothing of this service runs
		error(why, 0)
	end
	return run
end

local function run_of(source)
	local run = runs[source]
	if run or classified[source] == false then
		return run
	end
	if refused[source] then
		error(refused[source], 0)
	end
	local ok, result = starting(pcall, classify, source)
	if not ok then
		error(result, 0)
	end
	return result
end

local function record_success(run)
	run.statements = run.statements + 1
	local status = run.explicit and "running" or "applied"
	must(format("UPDATE %s SET statements = %d, status = '%s'%s WHERE name = %s",
		TABLE, run.statements, status, run.explicit and "" or ", applied_at = NOW()", quote(run.name)))
end

local function record_failure(run, sql, err)
	run.statements = run.statements + 1
	local message = describe(err)
	run.failed = { index = run.statements, sql = sql, message = message }
	if active[run.name] == run then
		active[run.name] = nil	-- the source keeps the run: its later statements are refused
	end
	local ok, res = execute(format(
		"UPDATE %s SET status = 'failed', failed_statement = %d, failed_sql = %s, error = %s, applied_at = NULL WHERE name = %s",
		TABLE, run.statements, quote(sql), quote(message), quote(run.name)))
	if not ok then
		skynet.error("migration " .. run.name .. ": cannot record the failure: " .. describe(res))
	end
	local text = format("migration %s: statement %d failed: %s; statement: %s", run.name, run.statements, message, excerpt(sql))
	skynet.error(text)
	return text
end

---------------------------------------------------------------------------------------------------
-- Commands

-- Why a statement of migration run `run` is refused (a statement of it failed already), or nil.
local function statement_refusal(run)
	if run and run.failed then
		return format("migration %s already failed at statement %d; statement not run", run.name, run.failed.index)
	end
end

function CMD.query(source, sql)
	local run = run_of(source)
	local why = statement_refusal(run)
	if why then
		error(why .. ": " .. excerpt(sql), 0)
	end
	local ok, res = execute(sql)
	if run then
		if ok then
			record_success(run)
		else
			error(record_failure(run, sql, res), 0)
		end
	end
	if not ok then
		error(describe(res) .. "; statement: " .. excerpt(sql), 0)
	end
	return res
end

function CMD.try_query(source, sql)
	local run = run_of(source)
	local why = statement_refusal(run)
	if why then
		return nil, why
	end
	local ok, res = execute(sql)
	if not ok then
		return nil, describe(res), res.errno, res.sqlstate
	end
	if run then
		record_success(run)
	end
	return res
end

-- For lualib/migration.lua. -> { status = "run" } | { status = "applied", message = } |
-- { status = "refused", message = }
function CMD.migration_begin(source, name, text, origin)
	assert(type(name) == "string" and type(text) == "string", "migration_begin(name, text, origin)")
	if runs[source] then
		return { status = "refused", message = format("%s is already running migration %s", skynet.address(source), runs[source].name) }
	end
	local ok, run, why, state = starting(pcall, begin_run, source, name, text, origin or skynet.address(source), true)
	if not ok then
		return { status = "refused", message = format("migration %s: cannot start: %s", name, tostring(run)) }
	end
	if run then
		return { status = "run" }
	end
	skynet.error(why)
	return { status = state or "refused", message = why }
end

-- -> { ok = bool, message = one line }
function CMD.migration_end(source, ok, err)
	local run = runs[source]
	if not run or not run.explicit then
		return { ok = false, message = "no migration is running for " .. skynet.address(source) }
	end
	finish_run(run)
	if run.failed then
		return { ok = false, message = format("migration %s: statement %d failed: %s; statement: %s",
			run.name, run.failed.index, run.failed.message, excerpt(run.failed.sql)) }
	end
	if ok then
		must(format("UPDATE %s SET status = 'applied', statements = %d, applied_at = NOW() WHERE name = %s",
			TABLE, run.statements, quote(run.name)))
		local text = format("migration %s: applied (%d statements)", run.name, run.statements)
		skynet.error(text)
		return { ok = true, message = text }
	end
	local message = format("migration %s failed after %d statements: %s", run.name, run.statements, tostring(err))
	local done, res = execute(format("UPDATE %s SET status = 'failed', error = %s WHERE name = %s",
		TABLE, quote(tostring(err)), quote(run.name)))
	if not done then
		skynet.error("migration " .. run.name .. ": cannot record the failure: " .. describe(res))
	end
	skynet.error(message)
	return { ok = false, message = message }
end

function CMD.migrations()
	ensure_table()
	return must("SELECT * FROM skyhost_migrations ORDER BY started_at, name")
end

function CMD.forget(_, name)
	ensure_table()
	return must(format("DELETE FROM %s WHERE name = %s", TABLE, quote(name))).affected_rows
end

skynet.start(function()
	local options = settings()
	driver = mysql.open(options)
	skynet.dispatch("lua", function(session, source, cmd, ...)
		local f = CMD[cmd]
		if not f then
			error("mysql_mgr: unknown command " .. tostring(cmd))
		end
		if session == 0 then
			f(source, ...)
		else
			skynet.retpack(f(source, ...))
		end
	end)
end)
