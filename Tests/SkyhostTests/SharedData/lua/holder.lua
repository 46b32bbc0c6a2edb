-- Creates the shared table "conf" ({ level = 1 }) of each kind and reads them: `get KIND` answers
-- conf.level as this service reads it (a sharetable reader takes the latest version first).
local skynet = require "skynet"
local sharedata = require "skynet.sharedata"
local sharetable = require "skynet.sharetable"
local builder = require "skynet.datasheet.builder"
local datasheet = require "skynet.datasheet"

local views = {}

skynet.start(function()
	sharedata.new("conf", { level = 1 })
	sharetable.loadtable("conf", { level = 1 })
	builder.new("conf", { level = 1 })
	views.sharedata = sharedata.query("conf")
	views.sharetable = sharetable.query("conf")
	views.datasheet = datasheet.query("conf")
	skynet.dispatch("lua", function(_, _, cmd, kind)
		assert(cmd == "get")
		if kind == "sharetable" then
			sharetable.update("conf")
		end
		skynet.retpack(views[kind].level)
	end)
	skynet.name(".holder", skynet.self())
end)
