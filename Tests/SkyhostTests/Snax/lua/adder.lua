-- Calls the counter's add(1) until it has 20,000 answers and 1,000 of them from the patched
-- version; prints "adder at 5000" on the way, then what it saw.
local skynet = require "skynet"
local snax = require "skynet.snax"

skynet.start(function()
	skynet.fork(function()
		local counter = snax.bind(skynet.localname(".counter"), "counter")
		local n, last, disorder, patched, old_after_new = 0, 0, 0, 0, 0
		while n < 20000 or patched < 1000 do
			local version, count = counter.req.add(1)
			n = n + 1
			if count ~= last + 1 and last ~= 0 then
				disorder = disorder + 1
			end
			last = count
			if version == "v2" then
				patched = patched + 1
			elseif patched > 0 then
				old_after_new = old_after_new + 1
			end
			if n == 5000 then
				print("adder at 5000")
			end
		end
		print(string.format("adder: %d answers, %d out of step, %d patched, %d old after new, last %d", n,
			disorder, patched, old_after_new, last))
	end)
end)
