-- Calls .counter's inc in a loop until it has made 25,000 calls and seen 1,000 answers of v2;
-- prints "client N at 20000" on the way, then what it saw.
local skynet = require "skynet"

local index = ...

skynet.start(function()
	skynet.fork(function()
		local n, last, disorder, first_v2, v2_answers, v1_after_v2 = 0, 0, 0, nil, 0, 0
		while n < 25000 or v2_answers < 1000 do
			local version, count = skynet.call(".counter", "lua", "inc")
			n = n + 1
			if count <= last then
				disorder = disorder + 1
			end
			last = count
			if version == "v2" then
				v2_answers = v2_answers + 1
				first_v2 = first_v2 or n
			elseif first_v2 then
				v1_after_v2 = v1_after_v2 + 1
			end
			if n == 20000 then
				print("client " .. index .. " at 20000")
			end
		end
		print(string.format("client %s: %d answers, %d out of order, v2 from answer %d, %d v1 after v2",
			index, n, disorder, first_v2, v1_after_v2))
	end)
end)
