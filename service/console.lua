-- console: reads the node's standard input, one command a line, as Skynet's: `snax NAME args...`
-- starts a snax service, any other non-empty line starts a Lua service (`NAME args...`).
-- A service that fails to start is logged by the launcher; the console reads on.
local skynet = require "skynet"
local snax = require "skynet.snax"
local socket = require "skynet.socket"

local function words(line)
	local list = {}
	for word in string.gmatch(line, "%S+") do
		list[#list + 1] = word
	end
	return list
end

local function read_commands()
	local stdin, reason = socket.stdin()
	if not stdin then
		skynet.error("console: standard input cannot be read: " .. tostring(reason))
		return
	end
	while true do
		local line = socket.readline(stdin, "\n")
		if not line then	-- standard input closed
			return
		end
		local command = words(line)
		if command[1] == "snax" then
			pcall(snax.newservice, table.unpack(command, 2))
		elseif line ~= "" then
			pcall(skynet.newservice, line)
		end
	end
end

skynet.start(function()
	skynet.fork(read_commands)
end)
