local skynet = require "skynet"
local datacenter = require "skynet.datacenter"
local mod = require "mod"
skynet.start(function()
    skynet.error("init ran before start", mod.ready)
    datacenter.set("game", "version", 7)
    skynet.error("datacenter", datacenter.get("game", "version"))
end)
