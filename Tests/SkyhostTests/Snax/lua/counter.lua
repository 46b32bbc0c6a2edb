-- A snax service: counts what it is asked to add.
--   response.add(n) -> "v1", the count after adding n
--   response.get()  -> "v1", the count
--   accept.bump()   adds 1, no answer
--   init(start)     the count starts at `start`; exit(why) prints why
local skynet = require "skynet"

local count = 0
local version = "v1"

function response.add(n)
	count = count + n
	return version, count
end

function response.get()
	return version, count
end

function accept.bump()
	count = count + 1
end

function init(start)
	count = tonumber(start) or 0
	skynet.error("counter starts at " .. count)
end

function exit(why)
	print("counter exits: " .. tostring(why))
end
