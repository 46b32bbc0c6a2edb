-- On a node with harbor 1: its own address, a global name, DATACENTER.
local skynet = require "skynet"
local datacenter = require "skynet.datacenter"

skynet.start(function()
	print("self", skynet.address(skynet.self()), skynet.harbor(skynet.self()))
	skynet.register("MAIN")
	print("global", skynet.address(require("skynet.harbor").queryname("MAIN")))
	datacenter.set("k", "v")
	print("datacenter", datacenter.get("k"))
	print("done")
end)
