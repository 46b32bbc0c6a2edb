-- skynet.lazy: the everyday part of skynet's API that the core (lualib/skynet.lua) leaves out,
-- loaded by skynet.lua the first time a service reads a name the core does not define. Every
-- service holds its own copy of the code it loads (Skyhost runs stock Lua, which cannot share
-- compiled functions between states), so what an idle service never uses stays out of the core.
-- The rarer machinery (trace, task, killthread, request/select, ...) is in lazy_threads.lua.
--
--   require("skynet.lazy")(skynet, internal)
-- adds the functions below to the skynet table. `internal` is skynet.lua's table of internals
-- (state tables by name, hooks; see the top of skynet.lua).
--
-- Added: address, localname, getenv, setenv, context, ignoreret, rawsend, rawcall, redirect,
-- exit, term, newservice, uniqueservice, queryservice, register, name, harbor, starttime, time,
-- endless, mqlen, stat, memlimit, info_func, cache, pcall.
-- Behaviour as Skynet 1.8, with the differences listed at the top of skynet.lua.

local c = require "skynet.core"

return function(skynet, internal)
	local csend = c.send
	local format = string.format

	local PTYPE_ERROR = 7

	function skynet.address(addr)
		if type(addr) == "number" then
			return format(":%08x", addr)
		end
		return tostring(addr)
	end

	function skynet.localname(name)
		return c.addresscommand("QUERY", name)
	end

	function skynet.getenv(key)
		return (c.command("GETENV", key))
	end

	function skynet.setenv(key, value)
		assert(c.command("GETENV", key) == nil, "Can't setenv exist key : " .. key)
		c.command("SETENV", key .. " " .. value)
	end

	local running = internal.running
	local session_coroutine_id = internal.session_coroutine_id
	local session_coroutine_address = internal.session_coroutine_address

	function skynet.context()
		local co = running()
		return session_coroutine_id[co], session_coroutine_address[co]
	end

	function skynet.ignoreret()
		session_coroutine_id[running()] = nil
	end

	local proto = internal.proto

	function skynet.rawsend(addr, typename, msg, sz)
		local p = proto[typename]
		return csend(addr, p.id, 0, msg, sz)
	end

	function skynet.rawcall(addr, typename, msg, sz)
		local tag = internal.session_coroutine_tracetag[running()]
		if tag then
			internal.lazy_threads().trace_call(tag, addr, 3)
		end
		local p = proto[typename]
		local session = internal.checked((internal.guard_send or csend)(addr, p.id, nil, msg, sz))
		if session == nil then
			error("call to invalid address " .. skynet.address(addr))
		end
		return internal.wait_response(addr, session)
	end

	function skynet.redirect(dest, source, typename, ...)
		return c.redirect(dest, source, proto[typename].id, ...)
	end

	-- Answers every request with an ERROR: the callback of a service that has exited.
	local function refuse_all(prototype, _, _, session, source)
		if session ~= 0 and source ~= 0 and prototype ~= 1 and prototype ~= PTYPE_ERROR then
			csend(source, PTYPE_ERROR, session, "")
		end
	end

	function skynet.exit()
		-- no fork runs after exit
		local fork_queue = internal.fork_queue
		for i in pairs(fork_queue) do
			fork_queue[i] = false
		end
		skynet.send(".launcher", "lua", "REMOVE", c.self(), false)
		-- fail the requests I serve
		for co, session in pairs(session_coroutine_id) do
			local address = session_coroutine_address[co]
			if session ~= 0 and address then
				csend(address, PTYPE_ERROR, session, "")
			end
		end
		local current = running()
		for _, co in pairs(internal.session_id_coroutine) do
			if type(co) == "thread" and co ~= current and coroutine.status(co) == "suspended" then
				coroutine.close(co)
			end
		end
		for respond in pairs(internal.unresponse) do
			respond(false)
		end
		-- tell the services I am waiting on that I am gone
		local told = {}
		for _, address in pairs(internal.watching_session) do
			if not told[address] then
				told[address] = true
				csend(address, PTYPE_ERROR, 0, "")
			end
		end
		c.callback(refuse_all)
		c.command("EXIT")
		coroutine.yield "QUIT"
	end

	-- As if `service` had exited: the calls waiting on it fail.
	function skynet.term(service)
		return internal.error_dispatch(0, service)
	end

	function skynet.newservice(name, ...)
		return skynet.call(".launcher", "lua", "LAUNCH", "snlua", name, ...)
	end

	function skynet.uniqueservice(name, ...)
		if name == true then
			return assert(skynet.call(".service", "lua", "GLAUNCH", ...))
		end
		return assert(skynet.call(".service", "lua", "LAUNCH", name, ...))
	end

	function skynet.queryservice(name, ...)
		if name == true then
			return assert(skynet.call(".service", "lua", "GQUERY", ...))
		end
		return assert(skynet.call(".service", "lua", "QUERY", name, ...))
	end

	-- Names. A ".name" is local to the node; any other name is global and goes through .cslave
	-- (cdummy in a single node), as Skynet's skynet.harbor.globalname does.
	local function global_name(name, handle)
		assert(#name < 16, "global name is too long")	-- Skynet's GLOBALNAME_LENGTH
		assert(tonumber(name) == nil, "global name can't be a number")
		skynet.send(".cslave", "lua", "REGISTER", name, handle or c.self())
	end

	function skynet.register(name)
		local first = name:sub(1, 1)
		assert(first ~= ":", "can't register a name starting with ':'")
		if first == "." then
			c.command("REG", name)
		else
			global_name(name)
		end
	end

	function skynet.name(name, handle)
		local first = name:sub(1, 1)
		assert(first ~= ":", "can't register a name starting with ':'")
		if first == "." then
			c.command("NAME", name .. " " .. skynet.address(handle))
		else
			global_name(name, handle)
		end
	end

	function skynet.harbor(addr)
		return (addr >> 24) & 0xff, false
	end

	local starttime
	function skynet.starttime()
		if not starttime then
			starttime = c.intcommand("STARTTIME")
		end
		return starttime
	end

	function skynet.time()
		return skynet.now() / 100 + (starttime or skynet.starttime())
	end

	function skynet.endless()
		return c.intcommand("STAT", "endless") == 1
	end

	function skynet.mqlen()
		return c.intcommand("STAT", "mqlen")
	end

	function skynet.stat(what)
		return c.intcommand("STAT", what)
	end

	function skynet.memlimit(bytes)
		c.memlimit(bytes)
		skynet.memlimit = nil	-- only once
	end

	-- The function the debug command INFO calls.
	function skynet.info_func(func)
		internal.info_func = func
	end

	skynet.pcall = pcall	-- deprecated in Skynet; pcall works across yields

	do	-- skynet.cache: the host's code cache when it has one, otherwise a stub
		local ok, codecache = pcall(require, "skynet.codecache")
		if ok and type(codecache) == "table" then
			skynet.cache = codecache
		else
			local cache_mode = "OFF"
			skynet.cache = {
				clear = function() end,
				mode = function(m)
					local previous = cache_mode
					if m then cache_mode = m end
					return previous
				end,
			}
		end
	end
end
