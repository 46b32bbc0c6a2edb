-- A game server on snax.msgserver for the test: answers "run N:<request>" (N counts the requests
-- it ran), raises for "fail".
local skynet = require "skynet"
local msgserver = require "snax.msgserver"

local servername
local subid = 0
local runs = 0

msgserver.start {
	register_handler = function(name) servername = name end,
	login_handler = function(uid, secret)
		subid = subid + 1
		msgserver.login(msgserver.username(uid, subid, servername), secret)
		return subid
	end,
	logout_handler = function(uid, id) msgserver.logout(msgserver.username(uid, id, servername)) end,
	kick_handler = function(uid, id) msgserver.logout(msgserver.username(uid, id, servername)) end,
	disconnect_handler = function(username) skynet.error("afk " .. select(1, msgserver.userid(username))) end,
	request_handler = function(_, msg)
		if msg == "fail" then
			error("the request failed")
		end
		runs = runs + 1
		return string.format("run %d:%s", runs, msg)
	end,
}
