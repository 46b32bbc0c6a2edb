-- skynet.harborlink: the framing of messages between cmaster and cslave, as Skynet's: a length
-- byte, then skynet.packstring(...) of at most 255 bytes.

local skynet = require "skynet"
local socket = require "skynet.socket"

local harborlink = {}

--- The next message on `fd`, unpacked; nothing when the connection closed.
function harborlink.read(fd)
	local size = socket.read(fd, 1)
	if not size then
		return
	end
	local content = socket.read(fd, string.byte(size))
	if not content then
		return
	end
	return skynet.unpack(content)
end

--- Writes one message of the values given on `fd`.
function harborlink.write(fd, ...)
	local message = skynet.packstring(...)
	assert(#message <= 255, "harbor message too long")
	socket.write(fd, string.char(#message) .. message)
end

return harborlink
