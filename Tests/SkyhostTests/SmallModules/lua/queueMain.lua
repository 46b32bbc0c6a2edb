-- Calls queueServer through mqueue from 5 threads at once; prints what came back, then "done".
local skynet = require "skynet"
local mqueue = require "skynet.mqueue"

skynet.start(function()
	local server = skynet.newservice("queueServer")
	local answers, pending = {}, 5
	for i = 1, 5 do
		skynet.fork(function()
			answers[i] = mqueue.call(server, "echo", i)
			pending = pending - 1
		end)
	end
	mqueue.send(server, "note", 7)
	while pending > 0 do
		skynet.sleep(1)
	end
	print("answers", table.concat(answers, " "))
	print("fail", pcall(mqueue.call, server, "fail", 9))
	print("done")
end)
