-- Calls queueServer through mqueue from 5 threads at once; prints what came back, then "done".
local skynet = require "skynet"
local mqueue = require "skynet.mqueue"

skynet.start(function()
	local server = skynet.newservice("queueServer")
	local answers, pending = {}, 5
	local main = coroutine.running()
	for i = 1, 5 do
		skynet.fork(function()
			answers[i] = mqueue.call(server, "echo", i)
			pending = pending - 1
			if pending == 0 then
				skynet.wakeup(main)
			end
		end)
	end
	mqueue.send(server, "note", 7)
	if pending > 0 then
		skynet.wait(main)
	end
	print("answers", table.concat(answers, " "))
	print("fail", pcall(mqueue.call, server, "fail", 9))
	print("done")
end)
