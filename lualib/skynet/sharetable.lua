-- skynet.sharetable: tables loaded once for the whole node and read by every service (Skynet
-- v1.8.0's API).
--
--   sharetable.loadfile(filename, ...)          the table the file returns (run with `...`)
--   sharetable.loadstring(filename, source, ...) the table `source` returns
--   sharetable.loadtable(filename, tbl)
--   sharetable.query(filename) -> t | nil        the version loaded now
--   sharetable.queryall([{ filename, ... }]) -> { [filename] = t }   (all when no list)
--   sharetable.update(filename, ...)             every table this service queried under these
--                                                names, and every subtable taken from them, reads
--                                                the version loaded now
--
-- A service keeps reading the version it queried until it calls sharetable.update, as in Skynet.
-- Skynet's patched Lua lets every service read the loading state's table directly; on stock Lua
-- the table is frozen into the node's shared memory (skyhost.frozentable) and each service reads
-- it through views (skynet.frozen): a view answers indexing, pairs, ipairs and # like the table,
-- while next and rawget see an empty table. An update keeps each table's identity and changes
-- what it reads, instead of replacing every reference to it in the service's heap; a subtable
-- whose keys no longer lead to a table raises when read. A version stays in memory while any
-- service reads it.

local skynet = require "skynet"
local service = require "skynet.service"
local frozen = require "skynet.frozen"

-- The keeper's code is a module of its own, so that a reader does not hold it.
local function sharetable_service()
	require "skynet.sharetable.service"
end

local sharetable = setmetatable({}, {
	__index = function(t, key)
		if key == "address" then
			local address = service.new("sharetable", sharetable_service)
			rawset(t, "address", address)
			return address
		end
	end,
})

function sharetable.loadfile(filename, ...)
	skynet.call(sharetable.address, "lua", "loadfile", filename, ...)
end

function sharetable.loadstring(filename, source, ...)
	skynet.call(sharetable.address, "lua", "loadstring", filename, source, ...)
end

function sharetable.loadtable(filename, tbl)
	assert(type(tbl) == "table")
	skynet.call(sharetable.address, "lua", "loadtable", filename, tbl)
end

local RECORD = {}	-- filename -> { [view] = true } (weak): the tables this service queried

local function record(filename, root)
	local t = frozen.view(root)
	local views = RECORD[filename]
	if views == nil then
		views = setmetatable({}, { __mode = "k" })
		RECORD[filename] = views
	end
	views[t] = true
	return t
end

function sharetable.query(filename)
	local root = skynet.call(sharetable.address, "lua", "query", filename)
	if root then
		local t = record(filename, root)
		skynet.send(sharetable.address, "lua", "confirm", root)
		return t
	end
end

function sharetable.queryall(filenames)
	local roots = skynet.call(sharetable.address, "lua", "queryall", filenames)
	local list = {}
	for filename, root in pairs(roots) do
		list[filename] = record(filename, root)
		skynet.send(sharetable.address, "lua", "confirm", root)
	end
	return list
end

function sharetable.update(...)
	for i = 1, select("#", ...) do
		local filename = select(i, ...)
		local views = RECORD[filename]
		if views and next(views) then
			local root = skynet.call(sharetable.address, "lua", "query", filename)
			if root then
				for t in pairs(views) do
					if frozen.root(t) ~= root then
						frozen.rebind(t, root)
					end
				end
				skynet.send(sharetable.address, "lua", "confirm", root)
			end
		end
	end
end

return sharetable
