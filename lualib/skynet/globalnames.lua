-- skynet.globalnames: the keeper of a node's global names, the work of `.cslave` (service/cdummy.lua
-- on a single node, service/cslave.lua on a node with a harbor id).
--
-- skynet.register / skynet.name with a name not starting with "." (e.g. "DATACENTER", "SERVICE")
-- end up at `.cslave` as `REGISTER name handle` (lualib/skynet/api/naming.lua sends it). The name
-- is recorded, anyone blocked in QUERYNAME for it is answered, and the native harbor service is
-- told to bind it (a `harbor` message "N name" whose source is the named service), so that
-- skynet.send("DATACENTER", ...) reaches it. Behaviour as Skynet 1.8's cdummy.
--
--   require("skynet.globalnames").serve(harbor_id)   -- in the service's start function

local skynet = require "skynet"
require "skynet.manager"	-- skynet.launch

local globalnames = {}

local names = {}       -- global name -> handle
local askers = {}      -- global name -> response functions of QUERYNAME calls waiting for it
local harbor_handle    -- the native harbor service
local command = {}

-- Messages to the native harbor are plain text.
skynet.register_protocol {
	name = "harbor",
	id = skynet.PTYPE_HARBOR,
	pack = function(...) return ... end,
	unpack = skynet.tostring,
}

skynet.register_protocol {
	name = "text",
	id = skynet.PTYPE_TEXT,
	pack = function(...) return ... end,
	unpack = skynet.tostring,
}

local function answer_askers(name)
	local list = askers[name]
	if not list then
		return
	end
	askers[name] = nil
	local handle = names[name]
	for _, respond in ipairs(list) do
		respond(true, handle)
	end
end

function command.REGISTER(name, handle)
	assert(names[name] == nil, "global name registered twice: " .. tostring(name))
	names[name] = handle
	answer_askers(name)
	skynet.redirect(harbor_handle, handle, "harbor", 0, "N " .. name)
end

function command.QUERYNAME(name)
	if string.sub(name, 1, 1) == "." then
		skynet.ret(skynet.pack(skynet.localname(name)))
		return
	end
	local handle = names[name]
	if handle then
		skynet.ret(skynet.pack(handle))
		return
	end
	-- Not yet registered: answer when it is.
	local list = askers[name]
	if not list then
		list = {}
		askers[name] = list
	end
	list[#list + 1] = skynet.response()
end

function command.LINK()
	skynet.ret()
end

function command.CONNECT()
	skynet.error("Can't connect to other harbor in single node mode")
end


--- Answers `.cslave`'s commands from now on, and launches the native harbor service.
function globalnames.serve(harbor_id)
	skynet.dispatch("lua", function(_, _, name, ...)
		local handler = assert(command[name], name)
		handler(...)
	end)
	-- Text notices from the harbor (there are none without other harbors) are ignored.
	skynet.dispatch("text", function() end)
	-- The harbor's slave argument is this service's handle, in decimal as Skynet logs it
	-- ("LAUNCH harbor 0 4").
	harbor_handle = assert(skynet.launch("harbor", harbor_id, skynet.self()))
end

return globalnames
