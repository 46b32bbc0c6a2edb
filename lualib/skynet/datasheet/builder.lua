-- skynet.datasheet.builder: the service that owns a data sheet creates and updates it (Skynet
-- v1.8.0's API); every service reads it with skynet.datasheet.
--
--   builder.new(name, t)        a new sheet (t: a table, or a string from builder.compile)
--   builder.update(name, t)     its next version: every reader's table, and every subtable taken
--                               from it, reads the new version once the update reaches the reader
--   builder.compile(t) -> s     t as a string (skynet.datasheet.dump)
--
-- The sheets are kept by the node's `datasheet` service (started by the first builder), frozen
-- into shared memory (skyhost.frozentable); readers read them through views (skynet.frozen). The
-- debug command DATA_UPDATE of that service replaces a sheet as an audited patch (the console's
-- `dataupdate datasheet NAME FILE`).

local skynet = require "skynet"
local service = require "skynet.service"
local dump = require "skynet.datasheet.dump"

local builder = {}
local address

local function datasheet_service()
	local skynet = require "skynet"	-- luacheck: ignore 431 (it runs in its own service: no upvalue)
	local Store = require "skynet.frozen_store"

	local store = Store.new("datasheet")
	store:register_updates()

	local CMD = {}

	function CMD.new(name, t)
		assert(store:get(name) == nil, "datasheet " .. tostring(name) .. " exists already")
		store:set(name, t)
	end

	function CMD.update(name, t)
		assert(store:get(name) ~= nil, "no datasheet called " .. tostring(name))
		store:set(name, t)
	end

	function CMD.query(name)
		return assert(store:lend(name), "create data first")
	end

	skynet.start(function()
		skynet.dispatch("lua", function(session, _, cmd, ...)
			if cmd == "release" then
				store:confirm((...))
			elseif cmd == "monitor" then
				local name, root = ...
				store:watch(name, root, skynet.response())
			else
				local f = CMD[cmd]
				if f == nil then
					error("datasheet: unknown command " .. tostring(cmd))
				end
				local r = f(...)
				if session ~= 0 then
					skynet.ret(skynet.pack(r))
				end
			end
		end)
		skynet.info_func(function()
			return store:info()
		end)
	end)
end

local function sheet(t)
	if type(t) == "string" then
		return dump.undump(t)
	end
	assert(type(t) == "table", "a data sheet is a table")
	return t
end

function builder.new(name, t)
	skynet.call(address, "lua", "new", name, sheet(t))
end

function builder.update(name, t)
	skynet.call(address, "lua", "update", name, sheet(t))
end

function builder.compile(t)
	return dump.dump(t)
end

skynet.init(function()
	address = service.new("datasheet", datasheet_service)
end)

return builder
