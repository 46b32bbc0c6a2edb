-- skynet.socketchannel in order and session modes against lineServer.
local skynet = require "skynet"
local socketchannel = require "skynet.socketchannel"

local function readline(sock)
	return true, sock:readline "\n"
end

skynet.start(function()
	local server = skynet.newservice("lineServer")
	local port = skynet.call(server, "lua", "port")

	-- Order mode with auth; 50 coroutines share the connection, each gets its own answer.
	local password = "secret"
	local ordered = socketchannel.channel {
		host = "127.0.0.1", port = port, nodelay = true,
		auth = function(channel)
			assert(channel:request("AUTH " .. password .. "\n", readline) == "OK", "refused")
		end,
	}
	ordered:connect(true)
	local done, wrong = 0, 0
	local me = coroutine.running()
	for i = 1, 50 do
		skynet.fork(function()
			if ordered:request("ECHO n" .. i .. "\n", readline) ~= "n" .. i then wrong = wrong + 1 end
			done = done + 1
			if done == 50 then skynet.wakeup(me) end
		end)
	end
	skynet.wait(me)
	print("order", done, wrong)

	-- A reply in several parts (padding): collected into a table.
	local parts = 0
	print("padding", table.concat(ordered:request("ECHO a\nECHO b\nECHO c\n", function(sock)
		parts = parts + 1
		return true, sock:readline "\n", parts < 3
	end), ","))

	-- The server closes the connection: the request fails with the socket error, and the next
	-- request connects (and authenticates) again.
	local ok, err = pcall(ordered.request, ordered, "CLOSE\n", readline)
	print("closed", ok, tostring(err), err == socketchannel.error)
	print("again", ordered:request("ECHO back\n", readline), skynet.call(server, "lua", "auths"))

	-- A reader that raises: the request fails with its error, the others waiting too.
	ok, err = pcall(ordered.request, ordered, "GARBAGE\n", function(sock)
		local line = sock:readline "\n"
		error("unexpected reply " .. line)
	end)
	print("raised", ok, err)
	print("recovered", ordered:request("ECHO fine\n", readline))

	-- A failing auth: connect raises, nothing is left connected.
	password = "wrong"
	ordered:changehost("127.0.0.1", port)
	ok, err = pcall(ordered.request, ordered, "ECHO x\n", readline)
	print("auth", ok, tostring(err))
	ordered:close()

	-- Session mode: replies come last first and each reaches its own request.
	local sessions = socketchannel.channel {
		host = "127.0.0.1", port = port,
		response = function(sock)
			local session, data = sock:readline("\n"):match("^(%d+) (.*)$")
			return tonumber(session), true, data
		end,
	}
	sessions:connect(true)
	local answers = {}
	for i = 1, 3 do
		skynet.fork(function()
			answers[i] = sessions:request("LATER " .. i .. " v" .. i .. "\n", i)
			if #answers == 3 and answers[1] and answers[2] then skynet.wakeup(me) end
		end)
	end
	skynet.yield()
	sessions:request("FLUSH\n")
	skynet.wait(me)
	print("session", table.concat(answers, ","))
	sessions:close()

	-- Nobody listens on the host; the backup host answers.
	local deadport = skynet.call(server, "lua", "port") + 1
	local nowhere = socketchannel.channel { host = "127.0.0.1", port = deadport }
	ok, err = pcall(nowhere.connect, nowhere, true)
	print("nowhere", ok, tostring(err))
	local backed = socketchannel.channel {
		host = "127.0.0.1", port = deadport, backup = { { host = "127.0.0.1", port = port } },
	}
	backed:connect(true)
	print("backup", backed:request("ECHO via backup\n", readline))
	backed:close()
	print("done")
end)
