-- cslave: `.cslave` of a node with a harbor id other than 0 (config `harbor`, `master`,
-- `address`): it shakes hands with the master (cmaster, in this node when it is `standalone`),
-- listens on `address` as Skynet's does, and keeps the node's global names (skynet.globalnames).
-- Skyhost runs one node per harbor set, so there are no other harbors to wait for or connect to.

local skynet = require "skynet"
local socket = require "skynet.socket"
local harborlink = require "skynet.harborlink"
local globalnames = require "skynet.globalnames"

skynet.start(function()
	local harbor_id = tonumber(skynet.getenv "harbor")
	assert(harbor_id and harbor_id > 0 and harbor_id < 256, "cslave needs a harbor id from 1 to 255")
	local master = assert(skynet.getenv "master", "cslave needs the config key master")
	local address = assert(skynet.getenv "address", "cslave needs the config key address")
	local listener = socket.listen(address)
	skynet.error("slave connect to master " .. tostring(master))
	local master_fd = assert(socket.open(master), "Can't connect to master")
	globalnames.serve(harbor_id)
	harborlink.write(master_fd, "H", harbor_id, address)
	local kind, count = harborlink.read(master_fd)
	assert(kind == "W", "unexpected answer from the master")
	skynet.error(string.format("Waiting for %d harbors", count))
	-- Connections from other harbors are not expected (one node per harbor set): refused.
	socket.start(listener, function(fd, addr)
		skynet.error(string.format("New connection (fd = %d, %s) refused: no other harbors", fd, addr))
		socket.close(fd)
	end)
	skynet.fork(function()
		while socket.read(master_fd) do end
		skynet.error("Master disconnect")
	end)
	skynet.error("Shakehand ready")
end)
