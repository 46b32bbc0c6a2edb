-- `.asker`, the console's way to the counter: `call .asker lua add 3` calls the counter's
-- response.add(3) and answers what it answers (the console's words are strings; a snax method
-- wants numbers).
local skynet = require "skynet"
local snax = require "skynet.snax"

skynet.start(function()
	skynet.register(".asker")
	local counter = snax.bind(skynet.localname(".counter"), "counter")
	skynet.dispatch("lua", function(_, _, method, n)
		skynet.ret(skynet.pack(counter.req[method](tonumber(n))))
	end)
end)
