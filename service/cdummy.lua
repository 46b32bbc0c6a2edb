-- `.cslave` for a single node (harbor = 0): the keeper of global names (skynet.globalnames),
-- as Skynet 1.8's cdummy.

local skynet = require "skynet"
local globalnames = require "skynet.globalnames"

skynet.start(function()
	local harbor_id = tonumber(skynet.getenv "harbor" or 0)
	assert(harbor_id == 0, "cdummy serves a single node (harbor = 0)")
	globalnames.serve(harbor_id)
end)
