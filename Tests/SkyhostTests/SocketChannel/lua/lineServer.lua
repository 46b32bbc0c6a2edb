-- A line server for the socketchannel tests, answering each connection's lines:
--   AUTH pw      "OK" if pw is "secret", else "NO"
--   ECHO x       "x"
--   LATER s x    nothing yet; FLUSH answers the held ones, last first, as "s x"
--   CLOSE        closes the connection
--   GARBAGE      "!!!"
--   *...         (the header of a Redis command) "!!!\r\n", which is no Redis reply
-- `skynet.call(server, "lua", "port")` gives its port; "auths" how many AUTH lines it took.
local skynet = require "skynet"
local socket = require "skynet.socket"

local auths = 0

local function serve(id)
	socket.start(id)
	local held = {}
	while true do
		local line = socket.readline(id, "\n")
		if not line then
			return
		end
		local verb, rest = line:match("^(%u+) ?(.*)$")
		if verb == "AUTH" then
			auths = auths + 1
			socket.write(id, rest == "secret" and "OK\n" or "NO\n")
		elseif verb == "ECHO" then
			socket.write(id, rest .. "\n")
		elseif verb == "LATER" then
			held[#held + 1] = rest
		elseif verb == "FLUSH" then
			for i = #held, 1, -1 do
				socket.write(id, held[i] .. "\n")
			end
			held = {}
		elseif verb == "CLOSE" then
			socket.close(id)
			return
		elseif verb == "GARBAGE" then
			socket.write(id, "!!!\n")
		elseif line:sub(1, 1) == "*" then
			socket.write(id, "!!!\r\n")
		end
	end
end

skynet.start(function()
	local listener, _, port = socket.listen("127.0.0.1", 0)
	socket.start(listener, function(id)
		skynet.fork(serve, id)
	end)
	skynet.dispatch("lua", function(_, _, what)
		if what == "port" then
			skynet.retpack(port)
		elseif what == "auths" then
			skynet.retpack(auths)
		end
	end)
end)
