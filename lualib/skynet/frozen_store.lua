-- skynet.frozen_store: the service side of the node's shared tables (sharedatad, the sharetable
-- and datasheet services): named tables frozen into shared memory (skyhost.frozentable), lent to
-- the services that read them, and replaced by updates that reach the services watching them.
--
--   local Store = require "skynet.frozen_store"
--   local store = Store.new("sharedata")      the kind names the store in errors and patches
--   store:set(name, value)                    value: a Lua table (frozen here) or a root; the
--                                             watchers of name get the new root
--   store:lend(name)     -> root | nil        the current root, with one reference for the trip:
--   store:confirm(root)                       the borrower holds it (frozen.view) and confirms
--   store:watch(name, root, response)         answers (true, newer root) at once when root is not
--                                             the current one, else when name is next set;
--                                             (true, nil) when name is deleted
--   store:delete(name)
--   store:get(name) -> root | nil, store:names() -> { name, ... } (sorted)
--   store:register_updates()                  the debug command DATA_UPDATE (below)
--   Store.evaluate(label, source, ...) -> table   a data file's table (see below)
--   Store.locate(kind) -> handle | nil, reason    the service that keeps the tables of kind
--                                             ("sharedata", "sharetable", "datasheet"), if it runs
--
-- References: the store holds one on each current root (a guard, so that closing the service lets
-- them go); a root lent and not yet confirmed holds one more; each reader's view holds one. A replaced root is freed when its last
-- reader lets it go, so an old version lives exactly as long as someone reads it.
--
-- Updates as patches: DATA_UPDATE meta name source words... (the console's `dataupdate`, the
-- updater's `data_update`) evaluates source, replaces name's table, and pushes a patch on the
-- service's stack (kind "<kind>_update", the SHA-1 of source, the operator from meta), so that
-- `patches` lists it and `rollback` brings the previous table back. A source that does not
-- compile, raises, or gives a table that cannot be shared changes nothing.

local skynet = require "skynet"
local ft = require "skyhost.frozentable"

local M = {}

local Store = {}
Store.__index = Store

function M.new(kind)
	return setmetatable({ kind = kind, current = {}, guards = {}, watchers = {}, lent = {} }, Store)
end

local env_meta = { __index = _ENV }

-- The table a data source gives: a chunk (its text, or "@path" for a file) run with `...`; its
-- value when it returns a table, else the globals it set (Skynet's sharedata convention).
function M.evaluate(label, source, ...)
	local env = setmetatable({}, env_meta)
	local f, err
	if source:sub(1, 1) == "@" then
		f, err = loadfile(source:sub(2), "bt", env)
	else
		f, err = load(source, "=" .. label, "bt", env)
	end
	if not f then
		error(err, 2)
	end
	local ret = f(...)
	setmetatable(env, nil)
	if type(ret) == "table" then
		return ret
	end
	return env
end

-- Where each kind's tables are kept: sharedatad is a unique service, the others are started
-- with skynet.service under these names.
local KEEPERS = { sharedata = "sharedatad", sharetable = "sharetable", datasheet = "datasheet" }

function M.locate(kind)
	local keeper = KEEPERS[kind]
	if keeper == nil then
		return nil, string.format("unknown kind of shared data %s (sharedata, sharetable or datasheet)", tostring(kind))
	end
	local handle
	if kind == "sharedata" then
		local address = skynet.call(".service", "lua", "LIST")[keeper]
		handle = type(address) == "string" and address:match("^:(%x+)$") and tonumber(address:sub(2), 16)
	else
		handle = skynet.call(skynet.uniqueservice("service_provider"), "lua", "test", keeper)
	end
	if not handle then
		return nil, string.format("no %s service runs on this node (nothing has created a %s yet)", keeper, kind)
	end
	return handle
end

function Store:get(name)
	return self.current[name]
end

function Store:names()
	local names = {}
	for name in pairs(self.current) do
		names[#names + 1] = name
	end
	table.sort(names)
	return names
end

-- Lends root: one more reference, which the borrower's confirm gives back.
local function lend(self, root)
	ft.retain(root)
	self.lent[root] = (self.lent[root] or 0) + 1
end

-- Answers a watcher with root, lent; a watcher that is gone does not keep it.
local function answer(self, response, root)
	lend(self, root)
	if not response(true, root) then
		self:confirm(root)
	end
end

-- Makes `root` (one reference of which the caller hands over) name's current table, and gives it
-- to the watchers of name.
local function install(self, name, root)
	local old = self.guards[name]
	self.current[name] = root
	self.guards[name] = ft.hold(root)
	ft.release(root)	-- (the reference handed over is now the guard)
	local watchers = self.watchers[name]
	self.watchers[name] = {}
	for _, response in ipairs(watchers or {}) do
		answer(self, response, root)
	end
	if old ~= nil then
		ft.unhold(old)
	end
end

function Store:set(name, value)
	local root = value
	if type(value) == "table" then
		root = ft.build(value)
		-- The Lua table is garbage once frozen (it came in a message, or from a data file): collected
		-- once the request is done, rather than a second copy of the data kept until the next cycle.
		skynet.fork(collectgarbage)
	else
		ft.retain(root)
	end
	install(self, name, root)
end

function Store:lend(name)
	local root = self.current[name]
	if root ~= nil then
		lend(self, root)
	end
	return root
end

-- Ends a loan; a root that was not lent (a stale or forged message) is ignored.
function Store:confirm(root)
	local n = self.lent[root]
	if n then
		self.lent[root] = n > 1 and n - 1 or nil
		ft.release(root)
	end
end

local PRUNE_AT = 64	-- watchers of a name before the gone ones are looked for

function Store:watch(name, root, response)
	local current = self.current[name]
	if current == nil then
		return response(true, nil)
	end
	if current ~= root then
		return answer(self, response, current)
	end
	local watchers = self.watchers[name] or {}
	self.watchers[name] = watchers
	if #watchers >= (watchers.prune_at or PRUNE_AT) then
		for i = #watchers, 1, -1 do
			if not watchers[i]("TEST") then
				table.remove(watchers, i)
			end
		end
		watchers.prune_at = math.max(PRUNE_AT, #watchers * 2)
	end
	watchers[#watchers + 1] = response
end

function Store:delete(name)
	local old = self.guards[name]
	if old == nil then
		return false
	end
	self.current[name] = nil
	self.guards[name] = nil
	local watchers = self.watchers[name]
	self.watchers[name] = nil
	for _, response in ipairs(watchers or {}) do
		response(true, nil)
	end
	ft.unhold(old)
	return true
end

-- The names and sizes, for the service's info function.
function Store:info()
	local info = {}
	for name, root in pairs(self.current) do
		info[name] = { size = ft.size(root), readers = ft.refs(root) - 1 }
	end
	return info
end

function Store:register_updates()
	local kind = self.kind
	require("skynet.debug").reg_debugcmd("DATA_UPDATE", function(meta, name, source, ...)
		meta = type(meta) == "table" and meta or {}
		local ok, result = pcall(function(...)
			if type(name) ~= "string" or type(source) ~= "string" then
				error(string.format("a %s update needs a name and a data source", kind))
			end
			local old = self.current[name]
			if old == nil then
				error(string.format("no %s called %s", kind, name))
			end
			local root = ft.build(M.evaluate(name, source, ...))
			local guard = ft.hold(old)	-- what a rollback brings back
			install(self, name, root)
			local crypt = require "skynet.crypt"
			local operator = meta.operator or "anonymous"
			local size = ft.size(root)
			local id = require("skynet.patch").push {
				kind = kind .. "_update", name = name, checksum = crypt.hexencode(crypt.sha1(source)),
				operator = operator, summary = string.format("%s %s, %d bytes", kind, name, size),
				undo = function()
					if self.current[name] == nil then
						return string.format("%s %s was deleted since: nothing to restore", kind, name)
					end
					local _ = guard	-- (held until the patch is forgotten)
					self:set(name, old)
					return string.format("%s %s restored", kind, name)
				end,
			}
			skynet.error(string.format("patch #%d applied: %s update of %s by %s (%d bytes)", id, kind, name,
				operator, size))
			return string.format("patch #%d on %s: %s %s updated (%d bytes)", id, skynet.address(skynet.self()), kind, name,
				size)
		end, ...)
		skynet.ret(skynet.pack(ok, result))
	end)
end

return M
