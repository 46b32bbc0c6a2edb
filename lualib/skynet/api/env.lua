-- skynet.api.env: the node's environment and the service's statistics and limits -- getenv,
-- setenv, endless, mqlen, stat, memlimit, info_func, cache, pcall. Run once by lualib/skynet.lua,
-- as chunk(skynet, internal), the first time a service reads one of these names.

local skynet, internal = ...
assert(type(internal) == "table", "skynet.api.env is loaded by skynet.lua, not by require")

local c = require "skynet.core"

function skynet.getenv(key)
	return (c.command("GETENV", key))
end

function skynet.setenv(key, value)
	assert(c.command("GETENV", key) == nil, "Can't setenv exist key : " .. key)
	c.command("SETENV", key .. " " .. value)
end

function skynet.endless()
	return c.intcommand("STAT", "endless") == 1
end

function skynet.mqlen()
	return c.intcommand("STAT", "mqlen")
end

function skynet.stat(what)
	return c.intcommand("STAT", what)
end

function skynet.memlimit(bytes)
	c.memlimit(bytes)
	skynet.memlimit = nil	-- only once
	skynet.error(string.format("Set memory limit to %.2f M", bytes / (1024 * 1024)))
end

-- The function the debug command INFO calls.
function skynet.info_func(func)
	internal.info_func = func
end

skynet.pcall = pcall	-- deprecated in Skynet; pcall works across yields

-- Skyhost's code cache checks each file on every load, so there is nothing to clear; clear and
-- mode keep Skynet's API (the mode is remembered, and changes nothing).
local cache_mode = "OFF"
skynet.cache = {
	clear = function() end,
	mode = function(m)
		local previous = cache_mode
		if m then
			cache_mode = m
		end
		return previous
	end,
}

return {}
