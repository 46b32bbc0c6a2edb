-- The debug console: skynet.newservice("debug_console", [ip,] port), ip defaulting to 127.0.0.1.
--
-- A line protocol for nc / telnet, as Skynet 1.8's console: the greeting
-- "Welcome to skynet console", then for each command line its output lines followed by
-- "<CMD OK>", or the error followed by "<CMD Error>". Several connections are served at once, each
-- by its own coroutine; a slow command holds up only its own connection. An HTTP request
-- (`GET /list HTTP/1.1`, or a POST whose body is the command line) runs one command and closes
-- the connection, as on Skynet (the answer is the console's plain text, not an HTTP response).
--
-- Where Skyhost differs from Skynet 1.8, on purpose:
--   * every failure ends with "<CMD Error>" and a reason without a Lua source position: a missing
--     inject file ("Can't open FILE (No such file or directory)"), an unknown ("Unknown address
--     :000000ff (no such service)") or malformed address, a missing argument, a line longer than
--     64 KiB, a failed start, `logon` on a node without `logpath` (Skynet answered some of these
--     with "<CMD OK>", others with a Lua error and its source position);
--   * an inject whose hotfix printed nothing answers "<CMD OK>" alone (Skynet adds an empty line);
--   * `call ADDRESS PROTOCOL word...` (the form the classic hot-update scripts use, e.g.
--     `call .updater lua update_service game_logic`) sends the bare words as strings with that
--     protocol; `call ADDRESS <lua expressions>` still evaluates the expressions, as Skynet;
--   * `clearcache` has nothing to clear: Skyhost reads service and module files anew each time;
--   * `debug` (the interactive debugger), `cmem`, `jmem`, `dumpheap`, `profactive` and `shrtbl`
--     are not supported and say so;
--   * carriage returns (telnet), NUL bytes and %XX escapes in HTTP paths are handled;
--   * `inject` is all or nothing (a hotfix that raises has every change it made undone, and the
--     error says so); `check`, `patches`, `rollback`, `injectall`, `rollbackall` and `versions`
--     are Skyhost's own (see "Safer hot patching" below);
--   * update authorisation (lualib/update_auth.lua): on a node with an update key, every command
--     that changes code or config needs a token as the last two words of the line, `--token
--     TOKEN`: `inject`, `injectall`, `rollback`, `rollbackall`, `dbgcmd` / `call ADDRESS debug`
--     with RUN, INJECT, ROLLBACK or ROLLBACK_BROADCAST, `call ADDRESS lua _reload_module |
--     _hotfix`, and calls that change .updater, .config_mgr or .version_mgr. `getenv update_key`
--     is refused, and so is `setenv` of update_key, audit_log and logpath. See "Update
--     authorisation" below.

local skynet = require "skynet"
local core = require "skynet.core"
local socket = require "skynet.socket"
local UpdateAuth = require "update_auth"
local Patching = require "patching"

local launch_args = table.pack(...)
local ip = launch_args.n >= 2 and launch_args[1] or "127.0.0.1"
local port = tonumber(launch_args[launch_args.n])
assert(launch_args.n <= 2 and port, "usage: skynet.newservice(\"debug_console\", [ip,] port)")

local TIMEOUT = 300	-- centiseconds for stat / mem / gc
local LINE_LIMIT = 64 * 1024	-- longest command line (and HTTP header line or body)

local COMMAND = {}	-- name -> function(words...)
local COMMANDX = {}	-- name -> function(cmd), cmd = { line, words..., fd = socket }

-- An error the operator should read as is (no Lua source position).
local function fail(message)
	error(message, 0)
end

-- Removes "some/file.lua:123: " from the front of an error raised by library code.
local function clean(err)
	err = tostring(err)
	return (err:gsub("^[^\n]-%.lua:%d+: ", "", 1))
end

---------------------------------------------------------------------------------------------------
-- Output

local function format_table(t)
	local keys = {}
	for k in pairs(t) do
		keys[#keys + 1] = k
	end
	table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
	local result = {}
	for _, k in ipairs(keys) do
		result[#result + 1] = string.format("%s:%s", k, tostring(t[k]))
	end
	return table.concat(result, "\t")
end

local function dump_list(print, list)
	local keys = {}
	for k in pairs(list) do
		keys[#keys + 1] = k
	end
	table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
	for _, k in ipairs(keys) do
		local v = list[k]
		if type(v) == "table" then
			print(k, format_table(v))
		else
			print(k, tostring(v))
		end
	end
end

---------------------------------------------------------------------------------------------------
-- Running a command line

local function split_words(line)
	local words = {}
	for w in line:gmatch("%S+") do
		words[#words + 1] = w
	end
	return words
end

local function docmd(line, print, fd)
	local words = split_words(line)
	local name = words[1]
	local ok, result
	local cmd = COMMAND[name]
	if cmd then
		ok, result = pcall(cmd, table.unpack(words, 2))
	else
		cmd = COMMANDX[name]
		if cmd then
			words.fd = fd
			words[1] = line
			ok, result = pcall(cmd, words)
		else
			ok, result = false, "Invalid command, type help for command list"
		end
	end
	if ok then
		if result ~= nil then
			if type(result) == "table" then
				dump_list(print, result)
			else
				print(result)
			end
		end
		print("<CMD OK>")
	else
		print(tostring(result))
		print("<CMD Error>")
	end
end

---------------------------------------------------------------------------------------------------
-- Reading a connection: lines of at most LINE_LIMIT bytes

local Reader = {}
Reader.__index = Reader

local function new_reader(fd)
	return setmetatable({ fd = fd, pending = "", skipping = false }, Reader)
end

-- More bytes from the socket; false when it closed.
function Reader:fill()
	local data = socket.read(self.fd)
	if not data then
		return false
	end
	self.pending = self.pending .. data
	return true
end

-- The next line without "\r\n" / "\n"; false when the connection closed (an unfinished last
-- line is dropped, as Skynet does); nil and a reason for a line longer than the limit (the rest
-- of that line is skipped).
function Reader:line()
	while true do
		local nl = self.pending:find("\n", 1, true)
		if nl then
			local line = self.pending:sub(1, nl - 1)
			self.pending = self.pending:sub(nl + 1)
			if self.skipping then
				self.skipping = false
			else
				line = line:gsub("[\r%z]+$", "")
				if #line > LINE_LIMIT then
					return nil, string.format("Line too long (the limit is %d bytes)", LINE_LIMIT)
				end
				return line
			end
		elseif #self.pending > LINE_LIMIT then
			self.pending = ""
			if not self.skipping then
				self.skipping = true
				return nil, string.format("Line too long (the limit is %d bytes)", LINE_LIMIT)
			end
		elseif not self:fill() then
			return false
		end
	end
end

-- Exactly n bytes, or false if the connection closed first.
function Reader:bytes(n)
	while #self.pending < n do
		if not self:fill() then
			return false
		end
	end
	local s = self.pending:sub(1, n)
	self.pending = self.pending:sub(n + 1)
	return s
end

local function url_decode(s)
	return (s:gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end))
end

-- Reads the rest of an HTTP request (headers, and the body of a POST) after its first line;
-- returns the command line it carries, or nil and a reason.
local function http_command(reader, request_line)
	local method, target = request_line:match("^(%u+)%s+(%S+)")
	if not target then
		return nil, "Bad HTTP request line"
	end
	local length = 0
	local headers = 0
	while true do
		local line, why = reader:line()
		if not line then
			return nil, why or "Connection closed in the HTTP header"
		end
		if line == "" then
			break
		end
		headers = headers + 1
		if headers > 100 then
			return nil, "Too many HTTP header lines"
		end
		local name, value = line:match("^([^:]+):%s*(.-)%s*$")
		if name and name:lower() == "content-length" then
			length = tonumber(value)
			if not length or length < 0 or length > LINE_LIMIT then
				return nil, "Bad Content-Length: " .. value
			end
			length = math.floor(length)
		end
	end
	if method == "POST" then
		local body = reader:bytes(length)
		if not body then
			return nil, "Connection closed in the HTTP body"
		end
		return (body:gsub("[\r\n]+$", ""))
	end
	local path = target:gsub("%?.*$", "")
	return (url_decode(path:sub(2)):gsub("/", " "))
end

local function console_main_loop(fd, print, addr)
	print("Welcome to skynet console")
	skynet.error(addr, "connected")
	local reader = new_reader(fd)
	local ok, err = pcall(function()
		while true do
			local line, why = reader:line()
			if line == false then
				break
			end
			if line == nil then
				print(why)
				print("<CMD Error>")
			elseif line:sub(1, 4) == "GET " or line:sub(1, 5) == "POST " then
				local cmdline, bad = http_command(reader, line)
				if cmdline then
					docmd(cmdline, print, fd)
				else
					print(bad)
					print("<CMD Error>")
				end
				break
			elseif line:find("%S") then
				docmd(line, print, fd)
			end
		end
	end)
	if not ok then
		skynet.error(fd, err)
	end
	skynet.error(addr, "disconnect")
	socket.close(fd)
end

skynet.start(function()
	UpdateAuth.announce()	-- whether updates need a token
	local listen_id, bound_ip, bound_port = socket.listen(ip, port)
	skynet.error("Start debug console at " .. bound_ip .. ":" .. bound_port)
	-- Off this machine and without an update key, anyone who connects can inject code.
	local loopback = bound_ip:match("^127%.") or bound_ip == "::1" or bound_ip == "localhost"
	if not loopback and not UpdateAuth.enabled() then
		skynet.error(string.format("debug_console: listening on %s:%s without an update key: anyone "
			.. "who can reach this port can change code; set update_key", bound_ip, bound_port))
	end
	socket.start(listen_id, function(id, addr)
		local function print(...)
			local t = table.pack(...)
			for i = 1, t.n do
				t[i] = tostring(t[i])
			end
			socket.write(id, table.concat(t, "\t", 1, t.n) .. "\n")
		end
		if socket.start(id) then
			skynet.fork(console_main_loop, id, print, addr)
		end
	end)
end)

---------------------------------------------------------------------------------------------------
-- Addresses and calls

-- ":0000000a", ".name" or bare hex ("a", "0000000a") -> handle; errors name the bad address.
local function adjust_address(address)
	if address == nil then
		fail("Need an address")
	end
	local prefix = address:sub(1, 1)
	if prefix == "." then
		local handle = skynet.localname(address)
		if not handle then
			fail("Unknown address " .. address .. " (no service has this name)")
		end
		return handle
	end
	local hex = prefix == ":" and address:sub(2) or address
	if not hex:match("^%x+$") or #hex > 8 then
		fail("Invalid address " .. address .. " (use :0000000a, .name or a hex number)")
	end
	local handle = tonumber(hex, 16)
	if prefix ~= ":" then
		handle = handle | (skynet.harbor(skynet.self()) << 24)
	end
	return handle
end

local function unknown(handle)
	fail(string.format("Unknown address %s (no such service)", skynet.address(handle)))
end

-- skynet.call with an error the operator can read.
local function call(address, typename, ...)
	local result = table.pack(pcall(skynet.call, address, typename, ...))
	if not result[1] then
		local err = clean(result[2])
		if err == "call failed" then
			fail(string.format("call %s failed (the service raised an error, or it exited)", skynet.address(address)))
		elseif err:find("^call to invalid address") then
			unknown(address)
		end
		fail(err)
	end
	return table.unpack(result, 2, result.n)
end

local function need(value, what)
	if value == nil then
		fail("Need " .. what)
	end
	return value
end

local function timeout(ti)
	if ti then
		ti = tonumber(ti)
		if not ti then
			fail("Invalid timeout (a number of centiseconds expected)")
		end
		if ti <= 0 then
			ti = nil
		end
	else
		ti = TIMEOUT
	end
	return ti
end

---------------------------------------------------------------------------------------------------
-- Update authorisation
--
-- A token travels as the last two words of a command line: `inject :0a fix.lua --token TOKEN`,
-- `call .updater lua update_service game_logic --token TOKEN` (in the lua-expressions form of
-- call, "--token TOKEN" is a Lua comment anyway). UpdateAuth.require checks it, writes the audit
-- record, and raises the reason when the node has a key and the token is missing or bad.

-- Commands of the update services that only read, and need no token.
local READ_ONLY = {
	[".config_mgr"] = { get = true, get_item = true, check_update = true },
	[".version_mgr"] = { get_version = true, get_history = true },
	[".updater"] = { patches = true, versions = true },
}

-- Debug commands that change code or shared data.
local CODE_CHANGING = { RUN = true, INJECT = true, ROLLBACK = true, ROLLBACK_BROADCAST = true, RELOAD = true,
	SNAX_HOTFIX = true, DATA_UPDATE = true }

-- The update hooks of business services (`_reload_module`, `_hotfix`): a `call` of
-- one changes code like the updater's commands do.
local SERVICE_HOOKS = { _reload_module = true, _hotfix = true }

-- Environment names the update authorisation reads (the key and where decisions are audited).
-- Skynet's setenv may add a name the config left out; for these that would let a console user
-- switch on a key of their choosing or send the audit log elsewhere, so the console refuses them.
local GUARDED_ENV = { update_key = true, audit_log = true, logpath = true }

-- Removes a trailing "--token TOKEN" (or "--token=TOKEN") from a COMMANDX line, its words and its
-- text, as UpdateAuth.split does for the other commands; returns TOKEN.
local function take_token(cmd)
	local token, rest = UpdateAuth.split(table.unpack(cmd, 2))
	if token then
		for i = rest.n + 2, #cmd do
			cmd[i] = nil
		end
		cmd[1] = cmd[1]:gsub("%s+%-%-token[%s=]+%S+%s*$", "")
	end
	return token
end

-- Checks the token when `call handle protocol args` is an update (and not otherwise); returns the
-- arguments to send, with the token added for .updater, which checks it again itself.
local function authorise_call(token, handle, protocol, args)
	local what
	if protocol == "debug" and CODE_CHANGING[args[1]] then
		what = args[1]
	elseif protocol == "lua" and SERVICE_HOOKS[args[1]] then
		what = args[1]
	elseif protocol == "lua" then
		for name, free in pairs(READ_ONLY) do
			if skynet.localname(name) == handle and not free[args[1]] then
				what = name
				break
			end
		end
	end
	if not what then
		return args
	end
	local words = {}
	for i = 1, args.n do
		words[i] = type(args[i]) == "table" and "{...}" or tostring(args[i])
	end
	UpdateAuth.require(token, string.format("console call %s %s %s", skynet.address(handle), protocol,
		table.concat(words, " ")))
	if what == ".updater" and token then
		args = table.pack(table.unpack(args, 1, args.n))
		args[args.n + 1], args[args.n + 2] = "--token", token
		args.n = args.n + 2
	end
	return args
end

---------------------------------------------------------------------------------------------------
-- Commands

function COMMAND.help()
	return {
		help = "This help message",
		list = "List all the service",
		stat = "Dump all stats",
		info = "info address : get service infomation",
		exit = "exit address : kill a lua service",
		kill = "kill address : kill service",
		mem = "mem : show memory status",
		gc = "gc : force every lua service do garbage collect",
		start = "lanuch a new lua service",
		snax = "lanuch a new snax service",
		snaxhotfix = "snaxhotfix address patch.lua : patch a snax service's methods (snax.hotfix), all or nothing",
		clearcache = "clear lua code cache (Skyhost has none: files are read anew each time)",
		service = "List unique service",
		task = "task address : show service task detail",
		uniqtask = "task address : show service unique task detail",
		inject = "inject address luascript.lua",
		logon = "logon address",
		logoff = "logoff address",
		log = "launch a new lua service with log",
		signal = "signal address sig",
		ping = "ping address",
		call = "call address ... : call address lua-expressions, or call address proto words",
		trace = "trace address [proto] [on|off]",
		netstat = "netstat : show netstat",
		killtask = "killtask address threadname : threadname listed by task",
		dbgcmd = "run address debug command",
		getenv = "getenv name : skynet.getenv(name)",
		setenv = "setenv name value: skynet.setenv(name,value)",
		check = "check address file.lua : compile a hotfix and list the _U/_P names the target lacks, without running it",
		patches = "patches address : the patches a service runs (id, file, sha1, time, operator)",
		rollback = "rollback address [n] : undo the last n patches of a service (default 1)",
		injectall = "injectall script file.lua [rollback] : inject into every service started from script",
		rollbackall = "rollbackall id : undo broadcast id (printed by injectall) in every service",
		versions = "versions [module] : which services run which version (sha1) of each module",
		reload = "reload address : start a service again from the files on disk, same address, state handed over",
		reloadall = "reloadall script [rollback] : reload every service started from script",
		dataupdate = "dataupdate sharedata|sharetable|datasheet name file.lua : replace a shared table, as a patch",
	}
end

function COMMAND.clearcache()
	return "Skyhost has no code cache to clear: services and injected files are read anew each time"
end

local function start_service(launch, ...)
	local name = need(..., "a service name")
	local ok, addr = pcall(launch, ...)
	if not ok then
		fail("Failed to start " .. name .. " (see the node log for why)")
	end
	if not addr then
		return "Exit"
	end
	return { [skynet.address(addr)] = name }
end

function COMMAND.start(...)
	return start_service(skynet.newservice, ...)
end

function COMMAND.log(...)
	return start_service(function(...)
		return skynet.call(".launcher", "lua", "LOGLAUNCH", "snlua", ...)
	end, ...)
end

local function unsupported(name)
	return function()
		fail(name .. " is not supported by Skyhost")
	end
end

-- snax NAME args...: a new snax service (lualib/skynet/snax.lua), its init run with the args.
function COMMAND.snax(...)
	return start_service(function(...)
		return require("skynet.snax").newservice(...).handle
	end, ...)
end

COMMAND.debug = unsupported("debug (the interactive debugger)")
COMMAND.cmem = unsupported("cmem")
COMMAND.jmem = unsupported("jmem")
COMMAND.dumpheap = unsupported("dumpheap")
COMMAND.profactive = unsupported("profactive")
COMMAND.shrtbl = unsupported("shrtbl")

function COMMAND.service()
	local ok, list = pcall(skynet.call, "SERVICE", "lua", "LIST")
	if not ok then
		list = call(".service", "lua", "LIST")
	end
	return list
end

function COMMAND.list()
	return call(".launcher", "lua", "LIST")
end

function COMMAND.stat(ti)
	return call(".launcher", "lua", "STAT", timeout(ti))
end

function COMMAND.mem(ti)
	return call(".launcher", "lua", "MEM", timeout(ti))
end

function COMMAND.gc(ti)
	return call(".launcher", "lua", "GC", timeout(ti))
end

function COMMAND.kill(address)
	local handle = adjust_address(address)
	local running = call(".launcher", "lua", "LIST")
	if running[skynet.address(handle)] == nil then
		fail("Unknown address " .. skynet.address(handle) .. " (not in the list)")
	end
	return call(".launcher", "lua", "KILL", handle)
end

function COMMAND.exit(address)
	local handle = adjust_address(address)
	if skynet.send(handle, "debug", "EXIT") == nil then
		unknown(handle)
	end
end

-- The whole of a (hotfix) file, or an error naming the file and why.
local function read_file(filename)
	local f, err = io.open(filename, "rb")
	if not f then
		-- io.open's reason is "FILENAME: why"; keep the why.
		local why = err and err:sub(1, #filename + 2) == filename .. ": " and err:sub(#filename + 3) or err
		fail(string.format("Can't open %s (%s)", filename, tostring(why)))
	end
	local source, why = f:read "a"
	f:close()
	if not source then
		fail(string.format("Can't read %s (%s)", filename, tostring(why)))
	end
	return source
end

-- The start of `COMMAND ADDRESS FILE words... [--token TOKEN]` that sends FILE's code to ADDRESS
-- (`usage` says how, when FILE is missing): the handle, the operator (the token, checked and
-- audited), FILE's text and the words.
local function file_command(command, usage, address, filename, ...)
	local handle = adjust_address(address)
	need(filename, "a file name: " .. usage)
	local token, words = UpdateAuth.split(...)
	local operator = UpdateAuth.require(token, table.concat({ "console " .. command, skynet.address(handle),
		filename, table.unpack(words, 1, words.n) }, " "))
	return handle, operator, read_file(filename), words
end

-- inject ADDRESS FILE words...: the target runs FILE between two of its messages (the debug
-- protocol's INJECT, RUN with the operator: see lualib/skynet/inject.lua), with the words as
-- `...`. The hotfix's print lines come back. All or nothing (unlike Skynet): if it fails, its
-- lines come back followed by its error and a line saying that nothing was applied, every change
-- it made being undone. A file that does not compile runs nothing. A hotfix that changed something
-- is a patch on the target's stack (`patches`, `rollback`).
function COMMAND.inject(address, filename, ...)
	local handle, operator, source, words = file_command("inject", "inject address file.lua", address, filename, ...)
	local ok, output = call(handle, "debug", "INJECT", { operator = operator }, source, filename,
		table.unpack(words, 1, words.n))
	if not ok then
		fail(output)
	end
	if output ~= "" then	-- (Skynet prints an empty line for a hotfix that printed nothing)
		return output
	end
end

-- snaxhotfix ADDRESS FILE args...: patches the methods of the snax service at ADDRESS with FILE
-- (lualib/snax/hotfix.lua), all or nothing; the results of the patch's hotfix function come back.
-- A patch on the service's stack, like an inject (`patches`, `rollback`).
function COMMAND.snaxhotfix(address, filename, ...)
	local handle, operator, source, words = file_command("snaxhotfix", "snaxhotfix address patch.lua", address, filename, ...)
	local result = table.pack(call(handle, "debug", "SNAX_HOTFIX", { operator = operator }, source,
		table.unpack(words, 1, words.n)))
	if not result[1] then
		fail(tostring(result[2]))
	end
	return table.pack(table.unpack(result, 2, result.n))
end
-- dataupdate KIND NAME FILE words...: replaces the shared table NAME of KIND (sharedata,
-- sharetable or datasheet) by the table FILE returns (run with the words as `...`), a patch on the
-- stack of the service that keeps it (`patches`, `rollback` of that service). Readers of a
-- sharedata or datasheet table read the new one once it reaches them; sharetable readers at their
-- next sharetable.update. A file that does not compile or raises changes nothing.
function COMMAND.dataupdate(kind, name, filename, ...)
	need(kind, "a kind: dataupdate sharedata|sharetable|datasheet name file.lua")
	need(name, "a name: dataupdate " .. kind .. " name file.lua")
	need(filename, "a file name: dataupdate " .. kind .. " " .. name .. " file.lua")
	local handle, reason = require("skynet.frozen_store").locate(kind)
	if not handle then
		fail(reason)
	end
	local token, words = UpdateAuth.split(...)
	local operator = UpdateAuth.require(token, table.concat({ "console dataupdate", kind, name, filename,
		table.unpack(words, 1, words.n) }, " "))
	local ok, result = call(handle, "debug", "DATA_UPDATE", { operator = operator }, name, read_file(filename),
		table.unpack(words, 1, words.n))
	if not ok then
		fail(tostring(result))
	end
	return result
end

---------------------------------------------------------------------------------------------------
-- Safer hot patching (lualib/patching.lua, lualib/skynet/patch.lua)

-- Lines as the command's output; a failure ends with <CMD Error>.
local function report(ok, lines)
	if not ok then
		fail(table.concat(lines, "\n"))
	end
	return table.concat(lines, "\n")
end

-- check ADDRESS FILE: compiles FILE and lists the _U / _P names it uses that ADDRESS lacks,
-- without running it.
function COMMAND.check(address, filename)
	local handle = adjust_address(address)
	need(filename, "a file name: check address file.lua")
	local source = read_file(filename)
	return report(call(handle, "debug", "CHECK", source, filename))
end

-- patches ADDRESS: the patches ADDRESS runs, oldest first.
function COMMAND.patches(address)
	local handle = adjust_address(address)
	return table.concat(Patching.patches(handle, call(handle, "debug", "PATCHES")), "\n")
end

-- rollback ADDRESS [N]: undoes the last N (default 1) patches of ADDRESS.
function COMMAND.rollback(address, ...)
	local handle = adjust_address(address)
	local token, words = UpdateAuth.split(...)
	local operator = UpdateAuth.require(token, table.concat({ "console rollback", skynet.address(handle),
		table.unpack(words, 1, words.n) }, " "))
	local lines, err = call(handle, "debug", "ROLLBACK", words[1], { operator = operator })
	if type(lines) == "boolean" then	-- a reload in place rolled back (or not): the runtime's report
		return report(lines, { tostring(err) })
	end
	return report(lines ~= nil, lines or { tostring(err) })
end

-- rollbackall ID: undoes broadcast ID in every service it patched.
function COMMAND.rollbackall(id, ...)
	need(id, "a broadcast id (injectall prints it)")
	local token = UpdateAuth.split(...)
	UpdateAuth.require(token, "console rollbackall " .. id)
	return report(Patching.rollback_broadcast(id))
end

-- injectall SCRIPT FILE [rollback] [words...]: inject FILE into every service started from SCRIPT
-- (`snlua SCRIPT ...`); with `rollback`, if any one fails, the others are rolled back.
function COMMAND.injectall(script, filename, ...)
	need(script, "a service script name: injectall agent file.lua [rollback]")
	need(filename, "a file name: injectall agent file.lua [rollback]")
	local token, words = UpdateAuth.split(...)
	local operator = UpdateAuth.require(token, table.concat({ "console injectall", script, filename,
		table.unpack(words, 1, words.n) }, " "))
	local rollback_on_failure = words[1] == "rollback"
	local args = table.pack(table.unpack(words, rollback_on_failure and 2 or 1, words.n))
	local source = read_file(filename)
	local ok, lines = Patching.broadcast(script, source, filename, { operator = operator },
		rollback_on_failure, args)
	return report(ok, lines)
end

-- reload ADDRESS: starts ADDRESS again from the files on disk, in a new Lua state at the same
-- address with the same launch arguments, handing over what its skynet.on_reload returns
-- (lualib/skynet/api/reload.lua). Nothing changes when the new version fails to start.
function COMMAND.reload(address, ...)
	local handle = adjust_address(address)
	local token, words = UpdateAuth.split(...)
	local operator = UpdateAuth.require(token, table.concat({ "console reload", skynet.address(handle),
		table.unpack(words, 1, words.n) }, " "))
	local ok, text = call(handle, "debug", "RELOAD", { operator = operator })
	return report(ok, { text })
end

-- reloadall SCRIPT [rollback]: reload every service started from SCRIPT (`snlua SCRIPT ...`);
-- with `rollback`, if any one fails, those reloaded go back to the code they ran.
function COMMAND.reloadall(script, ...)
	need(script, "a service script name: reloadall agent [rollback]")
	local token, words = UpdateAuth.split(...)
	local operator = UpdateAuth.require(token, table.concat({ "console reloadall", script,
		table.unpack(words, 1, words.n) }, " "))
	return report(Patching.reload_all(script, { operator = operator }, words[1] == "rollback"))
end

-- versions [MODULE]: which services run which version (SHA-1 of the file) of each module.
function COMMAND.versions(module)
	return table.concat(Patching.versions(module), "\n")
end

function COMMAND.dbgcmd(address, cmd, ...)
	local handle = adjust_address(address)
	need(cmd, "a debug command: dbgcmd address COMMAND ...")
	-- RUN is an inject; INJECT and ROLLBACK change code too: they need a token
	if CODE_CHANGING[cmd] then
		local token, words = UpdateAuth.split(...)
		UpdateAuth.require(token, table.concat({ "console dbgcmd", skynet.address(handle), cmd,
			table.unpack(words, 1, words.n) }, " "))
		return call(handle, "debug", cmd, table.unpack(words, 1, words.n))
	end
	return call(handle, "debug", cmd, ...)
end

function COMMAND.task(address)
	return COMMAND.dbgcmd(address, "TASK")
end

function COMMAND.killtask(address, threadname)
	adjust_address(address)
	need(threadname, "a thread name (see task)")
	return COMMAND.dbgcmd(address, "KILLTASK", threadname)
end

function COMMAND.uniqtask(address)
	return COMMAND.dbgcmd(address, "UNIQTASK")
end

function COMMAND.info(address, ...)
	return COMMAND.dbgcmd(address, "INFO", ...)
end

function COMMAND.logon(address)
	local handle = adjust_address(address)
	if not skynet.getenv "logpath" then
		fail("logon needs the config value logpath")
	end
	core.command("LOGON", skynet.address(handle))
end

function COMMAND.logoff(address)
	core.command("LOGOFF", skynet.address(adjust_address(address)))
end

function COMMAND.signal(address, sig)
	address = skynet.address(adjust_address(address))
	if sig then
		local n = tonumber(sig)
		if not n then
			fail("Invalid signal " .. sig .. " (a number expected)")
		end
		core.command("SIGNAL", string.format("%s %d", address, n))
	else
		core.command("SIGNAL", address)
	end
end

function COMMAND.ping(address)
	local handle = adjust_address(address)
	local ti = skynet.now()
	call(handle, "debug", "PING")
	return tostring(skynet.now() - ti)
end

local function toboolean(x)
	return x and (x == "true" or x == "on")
end

function COMMAND.trace(address, proto, flag)
	local handle = adjust_address(address)
	if flag == nil then
		if proto == "on" or proto == "off" then
			proto = toboolean(proto)
		end
	else
		flag = toboolean(flag)
	end
	call(handle, "debug", "TRACELOG", proto, flag)
end

-- Whether `name` is a protocol this service can call with.
local function is_protocol(name)
	local registered = rawget(skynet, "_proto")
	if type(registered) == "table" then
		return type(name) == "string" and registered[name] ~= nil
	end
	return name == "lua"
end

-- The protocol and values of a call line: `call ADDRESS PROTOCOL word...` (the classic scripts' form:
-- the words as strings) or `call ADDRESS <lua expressions>` (Skynet's: the values, with lua).
local function call_arguments(cmd)
	if is_protocol(cmd[3]) then
		return cmd[3], table.pack(table.unpack(cmd, 4))
	end
	local expressions = cmd[1]:match("^%s*%S+%s+%S+%s+(.-)%s*$")
	if not expressions or expressions == "" then
		fail("Need arguments: call address lua-expressions, or call address protocol words...")
	end
	local f, err = load("return " .. expressions, "=(debug console)", "t", {})
	if not f then
		fail("Invalid arguments: " .. clean(err))
	end
	local values = table.pack(pcall(f))
	if not values[1] then
		fail("Invalid arguments: " .. clean(values[2]))
	end
	return "lua", table.pack(table.unpack(values, 2, values.n))
end

-- call ADDRESS ...: what the service answers, as { n = count, values... }.
function COMMANDX.call(cmd)
	local token = take_token(cmd)
	local handle = adjust_address(cmd[2])
	local protocol, args = call_arguments(cmd)
	args = authorise_call(token, handle, protocol, args)
	return table.pack(call(handle, protocol, table.unpack(args, 1, args.n)))
end

function COMMAND.getenv(name)
	need(name, "a name: getenv name")
	if name == "update_key" then	-- the key itself is never shown
		fail("update_key is secret: the console does not show it")
	end
	return { [name] = tostring(skynet.getenv(name)) }
end

function COMMAND.setenv(name, value)
	need(name, "a name: setenv name value")
	need(value, "a value: setenv name value")
	if GUARDED_ENV[name] then
		fail(string.format("setenv %s refused: it guards code updates and is set only in the config file%s",
			name, name == "update_key" and " (or SKYHOST_UPDATE_KEY)" or ""))
	end
	local ok, err = pcall(skynet.setenv, name, value)
	if not ok then
		fail(clean(err))
	end
end

local function bytes(size)
	if size == nil or size == 0 then
		return
	end
	if size < 1024 then
		return size
	end
	if size < 1024 * 1024 then
		return tostring(size / 1024) .. "K"
	end
	return tostring(size / (1024 * 1024)) .. "M"
end

local function convert_stat(info)
	local now = skynet.now()
	local function time(t)
		if t == nil then
			return
		end
		t = now - t
		if t < 6000 then
			return tostring(t / 100) .. "s"
		end
		local hour = t // (100 * 60 * 60)
		t = t - hour * 100 * 60 * 60
		local min = t // (100 * 60)
		t = t - min * 100 * 60
		local sec = t / 100
		return string.format("%s%d:%.2gs", hour == 0 and "" or (hour .. ":"), min, sec)
	end
	info.address = skynet.address(info.address)
	info.read = bytes(info.read)
	info.write = bytes(info.write)
	info.wbuffer = bytes(info.wbuffer)
	info.rtime = time(info.rtime)
	info.wtime = time(info.wtime)
end

function COMMAND.netstat()
	local stat = socket.netstat()
	for _, info in ipairs(stat) do
		convert_stat(info)
	end
	return stat
end
