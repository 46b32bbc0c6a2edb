-- The sharetable service (started by skynet.sharetable as the `sharetable` service of
-- skynet.service): keeps the tables by file name, frozen into the node's memory
-- (skynet.frozen_store), and lends them to the services that query them.
--
--   loadfile filename ...           the table the file returns
--   loadstring filename source ...  the table source returns
--   loadtable filename tbl
--   query filename -> root | nil    lent: the reader holds it, then sends `confirm root`
--   queryall [filenames] -> { [filename] = root }   (every table when no list)
--   confirm root ...                (no answer)
-- The debug command DATA_UPDATE replaces a table as an audited patch.
local skynet = require "skynet"
local Store = require "skynet.frozen_store"

local store = Store.new("sharetable")
store:register_updates()

local CMD = {}

function CMD.loadfile(filename, ...)
	store:set(filename, Store.evaluate(filename, "@" .. filename, ...))
end

function CMD.loadstring(filename, source, ...)
	store:set(filename, Store.evaluate(filename, source, ...))
end

function CMD.loadtable(filename, tbl)
	assert(type(tbl) == "table", "sharetable.loadtable needs a table")
	store:set(filename, tbl)
end

function CMD.query(filename)
	return store:lend(filename)
end

function CMD.queryall(filenames)
	local roots = {}
	if filenames then
		for _, filename in ipairs(filenames) do
			roots[filename] = store:lend(filename)
		end
	else
		for _, filename in ipairs(store:names()) do
			roots[filename] = store:lend(filename)
		end
	end
	return roots
end

skynet.start(function()
	skynet.dispatch("lua", function(session, _, cmd, ...)
		if cmd == "confirm" then
			for i = 1, select("#", ...) do
				store:confirm((select(i, ...)))
			end
			return
		end
		local f = CMD[cmd]
		if f == nil then
			error("sharetable: unknown command " .. tostring(cmd))
		end
		local r = f(...)
		if session ~= 0 then
			skynet.ret(skynet.pack(r))
		end
	end)
	skynet.info_func(function()
		return store:info()
	end)
end)
