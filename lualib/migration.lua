-- lualib/migration.lua: runs data-migration scripts once, recording them in the database.
--
-- A migration is a Lua script whose file name matches the node's `migration_pattern` (default
-- "^migrate_", e.g. scripts/migrate_user_v2.lua). The script itself stays as written (the
-- classic scripts/migrate_user_v2.lua calls skynet.start and sends its statements to
-- mysql_mgr without checking results); the bookkeeping happens around it:
--
--   local migration = require "migration"
--   local ok, message = migration.guard(path, text, pcall, chunk)
--
-- guard(path, text, run, ...) calls run(...) -- which must return ok, result like pcall -- between
-- mysql_mgr's migration_begin and migration_end, so that every statement the script sends to
-- mysql_mgr meanwhile belongs to this run:
--   * already applied (same name, same checksum of `text`): run is not called;
--     returns true, "migration NAME was already applied at TIME ...; it is not run again"
--   * applied from a different file, or running now: run is not called; returns false, reason
--   * run succeeds: recorded as applied; returns true, "migration NAME: applied (N statements)"
--   * a statement fails: recorded as failed; returns false, "migration NAME: statement K failed:
--     mysql error CODE (STATE): message; statement: SQL"
--   * the script fails otherwise: recorded as failed; returns false, "migration NAME failed
--     after N statements: <error>"
-- A path whose name is not a migration's is run as is: guard returns run(...).
--
-- migration.run(path) reads, compiles and runs a file this way in the calling service; a
-- skynet.start(f) in the file runs f at once (so a script written as a service runs here too).
-- This is what updater.run_script does (with its own script environment).

local skynet = require "skynet"

local migration = {}

-- "scripts/migrate_user_v2.lua" -> "migrate_user_v2"
function migration.name(path)
	local base = tostring(path):match("([^/\\]+)$") or tostring(path)
	return (base:gsub("%.lua$", ""))
end

function migration.is_migration(path)
	local pattern = skynet.getenv("migration_pattern")
	if pattern == nil or pattern == "" then
		pattern = "^migrate_"
	end
	return migration.name(path):match(pattern) ~= nil
end

function migration.guard(path, text, run, ...)
	if not migration.is_migration(path) then
		return run(...)
	end
	local name = migration.name(path)
	local mgr = skynet.uniqueservice("mysql_mgr")
	local begin = skynet.call(mgr, "lua", "migration_begin", name, text, "script " .. tostring(path))
	if begin.status == "applied" then
		return true, begin.message
	elseif begin.status ~= "run" then
		return false, begin.message
	end
	local ok, result = run(...)
	local summary = skynet.call(mgr, "lua", "migration_end", ok, not ok and tostring(result) or nil)
	return summary.ok, summary.message
end

-- Runs `chunk`, then the start functions it passed to skynet.start, in this coroutine.
local function run_with_start(chunk)
	local starts = {}
	local start = skynet.start
	skynet.start = function(f)
		starts[#starts + 1] = f
	end
	local ok, result = pcall(chunk)
	skynet.start = start
	if not ok then
		return false, result
	end
	for _, f in ipairs(starts) do
		ok, result = pcall(f)
		if not ok then
			return false, result
		end
	end
	return true, result
end

function migration.run(path)
	local file, err = io.open(path, "rb")
	if not file then
		return false, "cannot open " .. tostring(path) .. ": " .. tostring(err)
	end
	local text = file:read("a")
	file:close()
	local chunk, cerr = load(text, "@" .. path)
	if not chunk then
		return false, cerr
	end
	return migration.guard(path, text, run_with_start, chunk)
end

return migration
