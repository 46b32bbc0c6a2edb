-- sharedatad: the keeper of skynet.sharedata's tables (one per node, a unique service).
--
--   new name value ...      value as sharedata.new takes it; the name must be new
--   update name value ...   replace (or create)
--   delete name
--   query name -> root      lent: the reader holds it, then sends `confirm root`
--   confirm root            (no answer)
--   monitor name root       answers with the next root of name (nil once it is deleted)
--
-- The tables are frozen into the node's shared memory (skynet.frozen_store); the debug command
-- DATA_UPDATE replaces one as an audited patch (the console's `dataupdate sharedata NAME FILE`).

local skynet = require "skynet"
local Store = require "skynet.frozen_store"

local store = Store.new("sharedata")
store:register_updates()

local NORET = {}

-- The table a new or update command gives.
local function value_of(name, v, ...)
	local kind = type(v)
	if kind == "table" then
		return v
	elseif kind == "string" then
		return Store.evaluate(name, v, ...)
	elseif kind == "nil" then
		return {}
	end
	error("Unknown data type " .. kind)
end

local CMD = {}

function CMD.new(name, v, ...)
	assert(store:get(name) == nil, "sharedata " .. tostring(name) .. " exists already")
	store:set(name, value_of(name, v, ...))
end

function CMD.update(name, v, ...)
	store:set(name, value_of(name, v, ...))
end

function CMD.delete(name)
	assert(store:delete(name), "no sharedata called " .. tostring(name))
end

function CMD.query(name)
	return assert(store:lend(name), "no sharedata called " .. tostring(name))
end

function CMD.confirm(root)
	store:confirm(root)
	return NORET
end

function CMD.monitor(name, root)
	store:watch(name, root, skynet.response())
	return NORET
end

skynet.start(function()
	skynet.dispatch("lua", function(session, _, cmd, ...)
		local f = CMD[cmd]
		if f == nil then
			error("sharedatad: unknown command " .. tostring(cmd))
		end
		local r = f(...)
		if r ~= NORET and session ~= 0 then
			skynet.ret(skynet.pack(r))
		end
	end)
	skynet.info_func(function()
		return store:info()
	end)
end)
