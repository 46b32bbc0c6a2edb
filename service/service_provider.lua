-- The registry behind lualib/skynet/service.lua (a uniqueservice). Each named service is a
-- service_cell that receives its main function's bytecode. Commands (`lua`):
--   test name          -> handle | nil, true (starting) | nil (unknown); error if its start failed
--   query name         -> handle, waiting while it starts or until someone launches it
--   launch name code ...-> handle, starting it if needed
--   close name         -> handle (now forgotten) | nil
-- Behaviour as Skynet 1.8's service_provider.
local skynet = require "skynet"

-- name -> { waiting = {responses} | nil, address, booting, error, init, time }
local entries = setmetatable({}, {
	__index = function(t, name)
		local entry = { waiting = {} }
		t[name] = entry
		return entry
	end,
})

local command = {}

function command.query(name)
	local entry = entries[name]
	if entry.waiting then
		table.insert(entry.waiting, skynet.response())
	elseif entry.address then
		skynet.ret(skynet.pack(entry.address))
	else
		error(entry.error)
	end
end

local function initialise(handle, name, code, ...)
	local entry = entries[name]
	skynet.call(handle, "lua", "init", code, ...)
	local n = select("#", ...)
	if n > 0 then
		local args = table.pack(...)
		for i = 1, n do
			args[i] = tostring(args[i])
		end
		entry.init = table.concat(args, ",", 1, n)
	end
	entry.time = skynet.time()
end

local function settle(entry, ok, handle)
	local waiting = entry.waiting
	entry.waiting = nil
	for _, respond in ipairs(waiting) do
		if ok then
			respond(true, handle)
		else
			respond(false)
		end
	end
end

function command.launch(name, code, ...)
	local entry = entries[name]
	if entry.address then
		return skynet.ret(skynet.pack(entry.address))
	end
	if entry.booting then
		table.insert(entry.waiting, skynet.response())
		return
	end
	entry.booting = true
	local ok, handle = pcall(skynet.newservice, "service_cell", name)
	local err
	if ok then
		ok, err = xpcall(initialise, debug.traceback, handle, name, code, ...)
	else
		err = handle
		handle = nil
	end
	entry.booting = nil
	if ok then
		entry.address = handle
		settle(entry, true, handle)
		skynet.ret(skynet.pack(handle))
	else
		if handle then
			skynet.send(handle, "debug", "EXIT")
		end
		entry.error = err
		settle(entry, false)
		error(err)
	end
end

function command.test(name)
	local entry = entries[name]
	if entry.booting then
		skynet.ret(skynet.pack(nil, true))
	elseif entry.address then
		skynet.ret(skynet.pack(entry.address))
	elseif entry.error then
		error(entry.error)
	else
		skynet.ret()
	end
end

function command.close(name)
	local entry = rawget(entries, name)
	if not entry or entry.booting then
		return skynet.ret(skynet.pack(nil))
	end
	entries[name] = nil
	skynet.ret(skynet.pack(entry.address))
end

skynet.start(function()
	skynet.dispatch("lua", function(_, _, name, ...)
		local handler = assert(command[name], name)
		handler(...)
	end)
	skynet.info_func(function()
		local info = {}
		for name, entry in pairs(entries) do
			local status
			if entry.booting then
				status = "booting"
			elseif entry.waiting then
				status = "waiting(" .. #entry.waiting .. ")"
			end
			info[skynet.address(entry.address)] = {
				init = entry.init,
				name = name,
				time = entry.time and os.date("%Y %b %d %T %z", math.floor(entry.time)),
				status = status,
			}
		end
		return info
	end)
end)
