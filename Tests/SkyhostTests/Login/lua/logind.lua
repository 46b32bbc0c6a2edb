-- A login server for the test: tokens are "user@server:password" (base64 parts, as Skynet's
-- example); the password must be "password"; user "forbidden" fails in login_handler.
local login = require "snax.loginserver"
local crypt = require "skynet.crypt"
local skynet = require "skynet"

login {
	host = "127.0.0.1",
	port = tonumber(skynet.getenv "login_port"),
	instance = 2,
	multilogin = false,
	auth_handler = function(token)
		local user, server, password = token:match("([^@]+)@([^:]+):(.+)")
		user, server, password = crypt.base64decode(user), crypt.base64decode(server), crypt.base64decode(password)
		assert(password == "password", "Invalid password")
		return server, user
	end,
	login_handler = function(server, uid, secret)
		if uid == "forbidden" then
			error("no login for " .. uid)
		end
		return string.format("%s:%s:%d", server, uid, #secret)
	end,
	command_handler = function(command)
		return "command " .. command
	end,
}
