-- Uses the counter the ways a snax client does, printing "name\tvalue" lines, then "done".
local skynet = require "skynet"
local snax = require "skynet.snax"

local function out(name, ...)
	local words = table.pack(...)
	for i = 1, words.n do
		words[i] = tostring(words[i])
	end
	print(name .. "\t" .. table.concat(words, " ", 1, words.n))
end

skynet.start(function()
	skynet.fork(function()
	local counter = snax.bind(skynet.localname(".counter"), "counter")
	out("object", tostring(counter) == string.format("[counter:%x]", counter.handle))
	out("add", counter.req.add(5))
	out("post", select("#", counter.post.bump()))
	out("get", counter.req.get())
	out("missing", pcall(function() return counter.req.nothing end))
	local interface = snax.interface("counter")
	out("ids", interface.system.init, interface.system.exit, interface.system.hotfix, interface.system.profile,
		interface.response.add, interface.response.get, interface.accept.bump)
	local profile = snax.profile_info(counter)
	out("profile", profile.add.count, profile.get.count, profile.bump.count)
	local unique = snax.uniqueservice("counter", 100)
	out("unique", unique.req.get())
	out("query", snax.queryservice("counter").handle == unique.handle)
	local fresh = snax.newservice("counter", 7)
	out("fresh", fresh.req.add(1))
	snax.kill(fresh, "killed by the client")
	out("killed", pcall(fresh.req.get))
	print("done")
	end)
end)
