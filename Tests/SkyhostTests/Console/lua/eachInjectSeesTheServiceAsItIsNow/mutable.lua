local skynet = require "skynet"
local handles = {}
local other = {}	-- luacheck: ignore 241
local clients = {}
local late	-- nil at the first inject, a table later
local commands = {}
function commands.late() late = {} end
function commands.newhandles() handles = {} end
function commands.nohandles() handles = nil end
function commands.redispatch()
    skynet.dispatch("lua", function(session, source, cmd)
        other[cmd] = true
        commands[cmd]()
        skynet.ret(skynet.pack(cmd))
    end)
end
function commands.newproto()
    skynet.register_protocol { name = "client", id = skynet.PTYPE_CLIENT, unpack = skynet.tostring,
        dispatch = function() return clients end }
end
function commands.same() end
skynet.start(function()
    skynet.dispatch("lua", function(session, source, cmd)
        local h, l = handles, late	-- luacheck: ignore 211
        commands[cmd]()
        skynet.ret(skynet.pack(cmd))
    end)
end)
