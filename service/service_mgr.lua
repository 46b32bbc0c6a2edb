-- The service manager (`.service`, and the global name `SERVICE` on a standalone node): backs
-- skynet.uniqueservice and skynet.queryservice.
--
--   LAUNCH name args...   the handle of the unique `name` service, starting it the first time
--                         (callers arriving while it starts wait for the same start)
--   QUERY name            the handle of `name`, waiting until someone has launched it
--   GLAUNCH / GQUERY      the same for node-wide ("global") unique services
--   LIST                  { [name] = ":0000000a" | "Error: ..." | what the waiters are doing }
--   REPORT addr           (standalone) a non-standalone node's manager introduces itself
-- Replies are pack(handle) or pack(nil, error text); skynet.uniqueservice asserts on them.
-- Behaviour as Skynet 1.8's service_mgr; `snaxd` services start through skynet.snax.

local skynet = require "skynet"
require "skynet.manager"	-- skynet.register

-- name -> handle (started), error text (failed), or a table while starting/awaited:
--   { starter = { co, session, source } or nil, [1..n] = { co, session, source } waiting }
local known = {}
local command = {}

local function snax()
	local ok, mod = pcall(require, "skynet.snax")
	if not ok then
		error("snax services are not supported: " .. tostring(mod))
	end
	return mod
end

-- Runs the start function for `name` and settles every waiter with the outcome.
local function start_now(name, starter, ...)
	local ok, result = pcall(starter, ...)
	local record = known[name]
	assert(type(record) == "table")
	if ok then
		known[name] = result
	else
		known[name] = tostring(result)
	end
	for _, waiter in ipairs(record) do
		skynet.wakeup(waiter.co)
	end
	if not ok then
		error(tostring(result))
	end
	return result
end

-- The handle for `name`; starts it with `starter(...)` if nobody has, else waits for it.
local function obtain(name, starter, ...)
	local record = known[name]
	if type(record) == "number" then
		return record
	elseif type(record) == "string" then
		error(record)
	elseif record == nil then
		record = {}
		known[name] = record
	end

	local session, source = skynet.context()
	local me = { co = coroutine.running(), session = session, source = source }
	if starter and record.starter == nil then
		record.starter = me
		return start_now(name, starter, ...)
	end

	record[#record + 1] = me
	skynet.wait()
	record = known[name]
	if type(record) == "string" then
		error(record)
	end
	assert(type(record) == "number")
	return record
end

-- "@name" is the key of a global unique service; its service file is `name`.
local function file_of(key)
	if string.sub(key, 1, 1) == "@" then
		return string.sub(key, 2)
	end
	return key
end

function command.LAUNCH(key, subname, ...)
	local file = file_of(key)
	if file == "snaxd" then
		return obtain(key .. "." .. subname, snax().rawnewservice, subname, ...)
	end
	return obtain(key, skynet.newservice, file, subname, ...)
end

function command.QUERY(key, subname)
	if file_of(key) == "snaxd" then
		return obtain(key .. "." .. subname)
	end
	return obtain(key)
end

-- What each waiter of a service still starting is doing, for LIST.
local function describe_pending(record)
	local lines = {}
	local starter = record.starter
	if starter then
		local session = skynet.task(starter.co)
		local launching = skynet.call(".launcher", "lua", "QUERY", session)
		if launching then
			lines[#lines + 1] = "Init as " .. skynet.address(launching)
			lines[#lines + 1] = skynet.call(launching, "debug", "TASK", "init")
			lines[#lines + 1] = "Launching from " .. skynet.address(starter.source)
			lines[#lines + 1] = skynet.call(starter.source, "debug", "TASK", starter.session)
		end
	end
	if #record > 0 then
		lines[#lines + 1] = "Querying:"
		for _, waiter in ipairs(record) do
			local stack = skynet.call(waiter.source, "debug", "TASK", waiter.session)
			lines[#lines + 1] = skynet.address(waiter.source) .. " " .. tostring(stack)
		end
	end
	return table.concat(lines, "\n")
end

local function list_local()
	local result = {}
	for name, record in pairs(known) do
		local kind = type(record)
		if kind == "string" then
			result[name] = "Error: " .. record
		elseif kind == "table" then
			result[name] = describe_pending(record)
		else
			result[name] = skynet.address(record)
		end
	end
	return result
end

-- The node holding the global registry (harbor 0 is always standalone).
local function serve_globals()
	local managers = {}	-- managers of other nodes that reported in

	function command.GLAUNCH(name, ...)
		return command.LAUNCH("@" .. name, ...)
	end

	function command.GQUERY(name, ...)
		return command.QUERY("@" .. name, ...)
	end

	function command.REPORT(manager)
		managers[manager] = true
	end

	local function merge_remote(into, manager)
		local suffix = "@" .. skynet.harbor(manager)
		for name, value in pairs(skynet.call(manager, "lua", "LIST")) do
			into[name .. suffix] = value
		end
	end

	function command.LIST()
		local result = {}
		for manager in pairs(managers) do
			pcall(merge_remote, result, manager)
		end
		for name, value in pairs(list_local()) do
			result[name] = value
		end
		return result
	end
end

-- A node that is not standalone forwards global requests to the master's SERVICE.
local function forward_globals()
	local function remote(verb, name, ...)
		local key = "@" .. name
		local local_key = key
		if name == "snaxd" then
			local_key = key .. "." .. (...)
		end
		return obtain(local_key, skynet.call, "SERVICE", "lua", verb, key, ...)
	end

	function command.GLAUNCH(...)
		return remote("LAUNCH", ...)
	end

	function command.GQUERY(...)
		return remote("QUERY", ...)
	end

	function command.LIST()
		return list_local()
	end

	skynet.call("SERVICE", "lua", "REPORT", skynet.self())
end

skynet.start(function()
	skynet.dispatch("lua", function(_, _, name, ...)
		local handler = command[name]
		if handler == nil then
			skynet.ret(skynet.pack(nil, "Invalid command " .. tostring(name)))
			return
		end
		local ok, result = pcall(handler, ...)
		if ok then
			skynet.ret(skynet.pack(result))
		else
			skynet.ret(skynet.pack(nil, result))
		end
	end)

	local existing = skynet.localname ".service"
	if existing then
		skynet.error(".service is already register by ", skynet.address(existing))
		skynet.exit()
		return
	end
	skynet.register ".service"

	if skynet.getenv "standalone" then
		skynet.register "SERVICE"
		serve_globals()
	else
		forward_globals()
	end
end)
