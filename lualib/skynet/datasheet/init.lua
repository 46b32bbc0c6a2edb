-- skynet.datasheet: read the node's data sheets (Skynet v1.8.0's API); a builder
-- (skynet.datasheet.builder) creates and updates them.
--
--   datasheet.query(name) -> t    the sheet, the same table on every query; it follows the
--                                 sheet's updates (each applied between two messages of this
--                                 service). Raises "create data first" before the sheet exists.
--
-- The sheet lives once in the node's memory; t is a view of it (skynet.frozen): indexing, pairs,
-- ipairs and # read the sheet, next and rawget see an empty table, assigning raises.

local skynet = require "skynet"
local service = require "skynet.service"
local frozen = require "skynet.frozen"

local address

skynet.init(function()
	address = service.query "datasheet"
end)

local datasheet = {}
local sheets = {}	-- name -> { view, error, queue (threads waiting for the first query) }

local function follow(name, view, root)
	while true do
		local newroot = skynet.call(address, "lua", "monitor", name, root)
		if newroot == nil then
			return
		end
		frozen.rebind(view, newroot)
		skynet.send(address, "lua", "release", newroot)
		root = newroot
	end
end

function datasheet.query(name)
	local s = sheets[name]
	if s == nil then
		s = {}
		sheets[name] = s
	end
	if s.view == nil and s.error == nil then
		if s.queue then
			local co = coroutine.running()
			table.insert(s.queue, co)
			skynet.wait(co)
		else
			s.queue = {}
			local ok, root = pcall(skynet.call, address, "lua", "query", name)
			if ok then
				s.view = frozen.view(root)
				skynet.send(address, "lua", "release", root)
				skynet.fork(follow, name, s.view, root)
			else
				s.error = root
			end
			local queue = s.queue
			s.queue = nil
			for _, co in ipairs(queue) do
				skynet.wakeup(co)
			end
		end
	end
	if s.error then
		error(s.error)
	end
	return s.view
end

return datasheet
