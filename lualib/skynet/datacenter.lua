-- skynet.datacenter: node-wide shared values kept by the DATACENTER service (datacenterd).
--   datacenter.set(k1, ..., kn, value) -> previous value
--   datacenter.get(k1, ...)            -> value or nil
--   datacenter.wait(k1, ...)           -> value, blocking until it has been set
local skynet = require "skynet"

local datacenter = {}

local function ask(command, ...)
	return skynet.call("DATACENTER", "lua", command, ...)
end

function datacenter.get(...)
	return ask("QUERY", ...)
end

function datacenter.set(...)
	return ask("UPDATE", ...)
end

function datacenter.wait(...)
	return ask("WAIT", ...)
end

return datacenter
