-- The bootstrap service (:00000002): brings up the system services in Skynet's order, so a node
-- hands out the same handles as Skynet 1.8. With harbor = 0:
--   :03 .launcher   :04 .cslave (cdummy, global names)   :05 the native harbor (started by cdummy)
--   :06 DATACENTER  :07 service_mgr (.service)            :08 the `start` service (default "main")
-- With a harbor id (Skynet's examples/config: harbor 1, standalone master), cmaster comes before
-- the slave, which is cslave: :01000004 cmaster, :01000005 .cslave, :01000006 harbor, and so on.
-- A node without `standalone` starts no DATACENTER, as Skynet's (its master's node has it).
-- Then bootstrap exits.
--
-- Deliberate difference from Skynet: Skynet starts the `start` service inside pcall and carries on
-- whatever happens, leaving a node that runs nothing useful. Here a start service that cannot be
-- loaded or whose start function raises is logged and the node is aborted, so that `skyhost CONFIG`
-- exits with a non-zero status instead of idling. (The status travels as the parameter of the
-- ABORT command, a Skyhost extension: skynet.abort() itself stops the node with status 0.)
-- A harbor set has one node: cmaster accepts that node's cslave only (see service/cmaster.lua).

local skynet = require "skynet"
local core = require "skynet.core"
require "skynet.manager"	-- skynet.launch, skynet.name

local function fatal(...)
	skynet.error("bootstrap:", ...)
	core.command("ABORT", "1")	-- skynet.abort(), with exit status 1
end

-- newservice that aborts the node when the service can't start. Returns true and the handle
-- (nil if the service chose to exit during its init, which is not an error), or false.
local function essential(name)
	local ok, handle = pcall(skynet.newservice, name)
	if not ok then
		-- The failing service has already logged why ("init service failed: ..." with a traceback,
		-- or the loader's message when its file can't be found or compiled).
		fatal(string.format("service %q failed to start (%s); aborting the node", name, tostring(handle)))
		return false
	end
	return true, handle
end

local function boot()
	local launcher = skynet.launch("snlua", "launcher")
	if not launcher then
		return fatal("can't launch the launcher")
	end
	skynet.name(".launcher", launcher)

	local harbor_id = tonumber(skynet.getenv "harbor" or 0)
	local standalone = skynet.getenv "standalone"
	local slave_name = "cdummy"
	if harbor_id == 0 then
		-- Single node: this node is its own master.
		if standalone == nil then
			standalone = "true"
			skynet.setenv("standalone", standalone)
		end
	else
		-- A harbor id: the master when this node is standalone, then the slave.
		if standalone and not essential "cmaster" then return end
		slave_name = "cslave"
	end

	local ok, slave = essential(slave_name)
	if not ok then return end
	if not slave then
		return fatal(slave_name .. " exited during its init")
	end
	skynet.name(".cslave", slave)

	if standalone then
		local datacenter
		ok, datacenter = essential "datacenterd"
		if not ok then return end
		if not datacenter then
			return fatal("datacenterd exited during its init")
		end
		skynet.name("DATACENTER", datacenter)
	end

	if not essential "service_mgr" then return end

	-- Skynet: pcall(skynet.newservice, start) and go on regardless. Skyhost aborts (see the top).
	if not essential(skynet.getenv "start" or "main") then return end

	skynet.exit()
end

skynet.start(function()
	-- Any error while booting leaves a node that can't work: stop it rather than idle.
	local ok, err = xpcall(boot, debug.traceback)
	if not ok then
		fatal(tostring(err))
	end
end)
