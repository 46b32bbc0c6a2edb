-- skynet.harbor: global names and the links between harbors, through the node's `.cslave`
-- (service/cdummy.lua on a single node, harbor = 0), as Skynet's.
--   harbor.globalname(name [, handle])   name a service (default this one) node-wide
--   harbor.queryname(name)               its handle, waiting until it is named
--   harbor.link(id) / harbor.connect(id) / harbor.linkmaster()   wait for a harbor's link
local skynet = require "skynet"

local harbor = {}

function harbor.globalname(name, handle)
	skynet.send(".cslave", "lua", "REGISTER", name, handle or skynet.self())
end

function harbor.queryname(name)
	return skynet.call(".cslave", "lua", "QUERYNAME", name)
end

function harbor.link(id)
	skynet.call(".cslave", "lua", "LINK", id)
end

function harbor.connect(id)
	skynet.call(".cslave", "lua", "CONNECT", id)
end

function harbor.linkmaster()
	skynet.call(".cslave", "lua", "LINKMASTER")
end

return harbor
