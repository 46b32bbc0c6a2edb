-- luacheck configuration (Debian's lua-check); scripts/lint.sh runs it over every Lua file.
std = "lua54"
codes = true
max_line_length = 140
-- Skynet-compatible callbacks take arguments they do not all use (session, source, ...).
unused_args = false
-- Globals a Skynet service may set or read: the loader's inputs and what it leaves behind.
globals = { "SERVICE_NAME", "SERVICE_PATH", "LUA_SERVICE", "LUA_PATH", "LUA_CPATH", "LUA_PRELOAD" }

-- Hotfixes run with _P, _U and the journal's helpers in their environment, and change the
-- service's tables through them.
local hotfix = { globals = { "_P", "_U", "_DEFER", "_UNDO", "_TRACK", "_RAW" } }
files["examples/**/hotfix.lua"] = hotfix
-- The tests' Lua files include hotfixes of every name, and services that test globals on purpose.
files["Tests"] = hotfix
files["Tests/SkyhostTests/Console/lua/globalWritesStayInTheSandbox/globals.lua"] = { allow_defined_top = true, ignore = { "111", "113" } }
files["Tests/SkyhostTests/HotUpdate/lua/runScriptRunsAFileInsideTheUpdater/scripts/ok.lua"] = { ignore = { "111" } }

-- Snax services and their patches define accept.NAME / response.NAME and the globals init, exit
-- and hotfix (lualib/snax/interface.lua).
-- A patch's `local count` (never set) is the service's variable of that name.
files["Tests/SkyhostTests/SmallModules/lua/greeter.lua"] = { globals = { "init" } }
files["Tests/SkyhostTests/Snax/lua"] = { globals = { "accept", "response", "init", "exit", "hotfix" }, ignore = { "221" } }

-- The inject walkthrough's hotfix, kept as operators know it.
files["examples/inject_upvalues/hotfix.lua"] = { globals = hotfix.globals, ignore = { "221", "511" } }
-- The migration script of the hot-update walkthrough, kept as operators know it.
files["scripts/migrate_user_v2.lua"] = { ignore = { "611" } }

-- Broken on purpose: the example's updates that must fail.
exclude_files = {
	"examples/hot_update/updates/v3_syntax/**", "examples/hot_update/updates/v3_broken/**",
	"Tests/SkyhostTests/Console/lua/syntaxErrorRunsNothing/syntax.lua",
}
