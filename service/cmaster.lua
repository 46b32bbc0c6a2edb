-- cmaster: the master of a harbor set (config `standalone`, e.g. "0.0.0.0:2013"), started by the
-- bootstrap of the node that has `standalone` and a harbor id other than 0.
--
-- It listens where Skynet's does and takes a slave's handshake in Skynet's framing (a length
-- byte, then skynet.packstring("H", harbor_id, address)), answering "W" with the number of other
-- harbors to wait for. Skyhost runs one node per harbor set: the first slave is accepted (the
-- node's own cslave); another is told to wait for nobody, logged and disconnected, since
-- messages between harbors are not routed. Multi-node games use skynet.cluster instead.

local skynet = require "skynet"
local socket = require "skynet.socket"
local harborlink = require "skynet.harborlink"

local slave_fd

local function accept(fd, addr)
	skynet.error("connect from " .. addr .. " " .. fd)
	socket.start(fd)
	local ok, kind, harbor_id, address = pcall(harborlink.read, fd)
	if not ok or kind ~= "H" then
		skynet.error(string.format("disconnect fd = %d, error = %s", fd, ok and "Invalid handshake" or kind))
		socket.close(fd)
		return
	end
	skynet.error(string.format("Harbor %d (fd=%d) report %s", harbor_id, fd, address))
	harborlink.write(fd, "W", 0)
	if slave_fd then
		skynet.error(string.format("Harbor %d refused: Skyhost's cmaster serves one harbor", harbor_id))
		socket.close(fd)
		return
	end
	slave_fd = fd
	-- The slave has nothing more to say to a master of one harbor; its going away is logged.
	while socket.read(fd) do end
	skynet.error("slave " .. harbor_id .. " is down")
	slave_fd = nil
	socket.close(fd)
end

skynet.start(function()
	local address = assert(skynet.getenv "standalone", "cmaster needs the config key standalone")
	skynet.error("master listen socket " .. tostring(address))
	local listener = socket.listen(address)
	socket.start(listener, function(fd, addr)
		skynet.fork(accept, fd, addr)
	end)
end)
