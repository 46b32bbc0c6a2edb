-- Makes objectids for objectid.lua: "make", n -> a list of n new ids, in the order they were made.
local skynet = require "skynet"
local bson = require "bson"

skynet.start(function()
	skynet.dispatch("lua", function(_, _, _, n)
		local ids = {}
		for i = 1, n do
			ids[i] = bson.objectid()
			if i % 1000 == 0 then
				skynet.yield()
			end
		end
		skynet.ret(skynet.pack(ids))
	end)
end)
