-- Prints "name\tvalue" lines for BSONTests: objectids made by 4 services at once (idmaker.lua)
-- are all different, carry the time they were made and this process's machine part, and follow
-- each other in the order they were made; an id's hex parses back to the same id.
local skynet = require "skynet"
local bson = require "bson"
local report = require "bsonreport"
local out = report.out

local PER_SERVICE = 20000

local function parts(id)
	local seconds = string.unpack(">I4", id, 3)
	local machine = id:sub(7, 11)
	local counter = string.unpack(">I3", id, 12)
	return seconds, machine, counter
end

skynet.start(function()
	local before = os.time()
	local first = bson.objectid()
	local makers = {}
	for i = 1, 4 do
		makers[i] = skynet.newservice("idmaker")
	end
	local lists = {}
	local done = 0
	for i, maker in ipairs(makers) do
		skynet.fork(function()
			lists[i] = skynet.call(maker, "lua", "make", PER_SERVICE)
			done = done + 1
			if done == #makers then
				skynet.wakeup(lists)
			end
		end)
	end
	skynet.wait(lists)
	local after = os.time()

	local _, machine0, counter0 = parts(first)
	local seen, total, duplicates, out_of_time, other_machine, out_of_order = {}, 0, 0, 0, 0, 0
	for _, list in ipairs(lists) do
		local last_seconds, last_offset = 0, 0
		for _, id in ipairs(list) do
			total = total + 1
			if seen[id] then
				duplicates = duplicates + 1
			end
			seen[id] = true
			local seconds, machine, counter = parts(id)
			if seconds < before or seconds > after then
				out_of_time = out_of_time + 1
			end
			if machine ~= machine0 then
				other_machine = other_machine + 1
			end
			-- Made after `first`: its counter is first's plus how many ids the process made since.
			local offset = (counter - counter0) % (1 << 24)
			if seconds < last_seconds or offset <= last_offset then
				out_of_order = out_of_order + 1
			end
			last_seconds, last_offset = seconds, offset
		end
	end
	out("ids", total)
	out("distinct", total - duplicates)
	out("outside their time", out_of_time)
	out("other machine part", other_machine)
	out("out of order", out_of_order)
	local kind, hex = bson.type(first)
	out("parse", kind .. " " .. #hex .. " " .. tostring(bson.objectid(hex) == first))
	out("parse upper case", bson.objectid(hex:upper()) == first)
	print("done")
end)
