-- skynet.db.mysql: MySQL / MariaDB with Skynet v1.8.0's API, on Skyhost's native driver
-- (skyhost.mysql, MariaDB Connector/C on threads of its own: a slow statement never holds a
-- worker thread).
--
--   local mysql = require "skynet.db.mysql"
--   local db = mysql.connect { host = "127.0.0.1", port = 3306, database = "game", user = "root",
--                              password = "", charset = "utf8mb4",
--                              on_connect = function(db) db:query("set names utf8mb4") end }
--   local res = db:query("select * from cats")        -- rows: { {id = 1, name = "Bob"}, ... }
--   local stmt = db:prepare("select * from cats where name = ?")
--   res = db:execute(stmt, "Bob"); db:stmt_reset(stmt); db:stmt_close(stmt)
--   db:ping(); db:disconnect(); mysql.quote_sql_str(s)
--
-- Results are Skynet's: a result set is an array of rows (a NULL column is absent from its
-- row); a statement without one gives { affected_rows =, insert_id =, server_status =,
-- warning_count = [, message =] }; several statements give { r1, r2, ..., multiresultset = true }
-- (from execute: mulitresultset, as Skynet spells it there). A failed statement is not raised:
-- it gives { badresult = true, errno =, err =, sqlstate = }. `connect` raises when the server
-- cannot be reached or refuses the login.
--
-- Differences (see docs/databases.md): prepared statements are prepared by the server with SQL
-- (PREPARE / EXECUTE ... USING), so their results come in the text protocol, like a query's,
-- and the statement table has no `params` / `fields` descriptions; `compact_arrays` is not
-- supported; the connection is made again by the driver after the server closed it, and
-- `on_connect` runs once, at `connect`.

local skynet = require "skynet"
local driver = require "skyhost.mysql"
require "skynet.manager"	-- skynet.kill

local mysql = {}

local db_methods = {}
local db_meta = { __index = db_methods }

-- Runs `sql` on the connection: the result, or the badresult table of its failure.
local function run(self, sql)
	local ok, result = skynet.call(self.driver, "lua", sql)
	if not ok and type(result) == "table" then
		result.statement = nil
	end
	return result
end

--- Connects (see the header); raises with the server's reason when it cannot.
function mysql.connect(opts)
	assert(not opts.compact_arrays, "skynet.db.mysql: compact_arrays is not supported by Skyhost")
	local handle = driver.open {
		host = opts.host, port = opts.port or 3306, user = opts.user or "", password = opts.password or "",
		database = opts.database, charset = opts.charset, pool = 1,
	}
	local self = setmetatable({ driver = handle, statements = 0 }, db_meta)
	local result = run(self, "DO 1")
	if result.badresult then
		skynet.kill(handle)
		error(string.format("Connect to %s:%s failed: %s (%s)", opts.host, opts.port or 3306,
			tostring(result.err), tostring(result.errno)))
	end
	if opts.on_connect then
		opts.on_connect(self)
	end
	return self
end

--- Closes the connection; the object is unusable afterwards.
function db_methods:disconnect()
	skynet.kill(self.driver)
	setmetatable(self, nil)
end

--- Runs one or more statements (see the header for the result).
function db_methods:query(sql)
	return run(self, sql)
end

--- Checks the connection: { affected_rows = 0, ... } or a badresult.
function db_methods:ping()
	return run(self, "DO 1")
end

-- The SQL text of a string literal: quoted, with the characters MySQL escapes escaped.
local escapes = {
	["\0"] = "\\0", ["\b"] = "\\b", ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t",
	["\26"] = "\\Z", ["\\"] = "\\\\", ["'"] = "\\'", ['"'] = '\\"',
}

--- `str` as an SQL string literal.
function mysql.quote_sql_str(str)
	return "'" .. string.gsub(str, "[\0\b\n\r\t\26\\'\"]", escapes) .. "'"
end

-- The number of `?` placeholders in `sql`, outside string literals, quoted names and comments.
local function placeholders(sql)
	local count, i, n = 0, 1, #sql
	while i <= n do
		local c = sql:sub(i, i)
		if c == "'" or c == '"' or c == "`" then
			local j = i + 1
			while j <= n do
				local d = sql:sub(j, j)
				if d == "\\" and c ~= "`" then
					j = j + 1
				elseif d == c then
					break
				end
				j = j + 1
			end
			i = j + 1
		elseif sql:sub(i, i + 1) == "--" or c == "#" then
			i = (sql:find("\n", i, true) or n) + 1
		elseif sql:sub(i, i + 1) == "/*" then
			i = (select(2, sql:find("*/", i + 2, true)) or n) + 1
		else
			if c == "?" then
				count = count + 1
			end
			i = i + 1
		end
	end
	return count
end

--- Prepares `sql` on the server: the statement { prepare_id =, param_count =, field_count =,
--- warning_count = 0 }, or a badresult (a syntax error is found here, as in Skynet).
function db_methods:prepare(sql)
	self.statements = self.statements + 1
	local id = self.statements
	local result = run(self, string.format("PREPARE skyhost_stmt_%d FROM %s", id, mysql.quote_sql_str(sql)))
	if result.badresult then
		return result
	end
	return { prepare_id = id, param_count = placeholders(sql), field_count = 0, warning_count = result.warning_count or 0 }
end

-- The SQL literal of an argument of execute.
local function literal(value)
	local kind = type(value)
	if kind == "nil" then
		return "NULL"
	elseif kind == "boolean" then
		return value and "1" or "0"
	elseif kind == "number" then
		return math.type(value) == "integer" and tostring(value) or string.format("%.17g", value)
	elseif kind == "string" then
		return mysql.quote_sql_str(value)
	end
	error("skynet.db.mysql: a " .. kind .. " cannot be a statement parameter")
end

--- Runs a prepared statement with its parameters (see the header for the result).
function db_methods:execute(stmt, ...)
	local args = table.pack(...)
	if args.n ~= stmt.param_count then
		return { badresult = true, errno = 30902,
			err = string.format("require stmt.param_count %d, get %d", stmt.param_count, args.n) }
	end
	local name = "skyhost_stmt_" .. stmt.prepare_id
	if args.n == 0 then
		return run(self, "EXECUTE " .. name)
	end
	local sets, uses = {}, {}
	for i = 1, args.n do
		sets[i] = string.format("@skyhost_p%d = %s", i, literal(args[i]))
		uses[i] = "@skyhost_p" .. i
	end
	local result = run(self, string.format("SET %s; EXECUTE %s USING %s",
		table.concat(sets, ", "), name, table.concat(uses, ", ")))
	if result.badresult or not result.multiresultset then
		return result
	end
	-- the first result is the SET's
	if #result == 2 then
		return result[2]
	end
	local results = { mulitresultset = true }
	for i = 2, #result do
		results[i - 1] = result[i]
	end
	return results
end

--- Forgets a prepared statement's open cursor (nothing to do without cursors): an OK result.
function db_methods:stmt_reset(stmt)
	return run(self, "DO " .. stmt.prepare_id)
end

--- Frees a prepared statement on the server.
function db_methods:stmt_close(stmt)
	run(self, "DEALLOCATE PREPARE skyhost_stmt_" .. stmt.prepare_id)
end

--- Rows as arrays instead of maps: not supported by Skyhost (raises).
function db_methods:set_compact_arrays(value)
	assert(not value, "skynet.db.mysql: compact_arrays is not supported by Skyhost")
end

return mysql
