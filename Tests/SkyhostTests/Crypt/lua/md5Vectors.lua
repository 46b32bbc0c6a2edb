-- Prints "name\tvalue" lines for CryptTests: md5 (md5.core and lualib/md5.lua), and lpeg from
-- Debian's lua-lpeg through a plain require.
local skynet = require "skynet"
local md5 = require "md5"
local crypt = require "skynet.crypt"

local hex = crypt.hexencode

local report = require "report"
local out, err = report.out, report.err

skynet.start(function()
	out("core is md5", require("md5.core") == md5)
	out("empty", md5.sumhexa(""))
	out("abc", md5.sumhexa("abc"))
	out("sum", hex(md5.sum("abc")))
	out("hmac1", md5.hmacmd5("Hi There", string.rep("\x0b", 16)))
	out("hmac2", md5.hmacmd5("what do ya want for nothing?", "Jefe"))
	out("hmac-long", md5.hmacmd5("data", string.rep("k", 80)))
	out("crypt", hex(md5.crypt("hello world, this is more than sixteen bytes", "key", "seed")))
	out("crypt-empty-seed", hex(md5.crypt("abc", "k", "")))
	out("decrypt", md5.decrypt(md5.crypt("a secret of any length at all", "key"), "key"))
	out("exor", hex(md5.exor("abc", "xyz")))
	err("exor-lengths", md5.exor, "abc", "xy")
	err("seed-long", md5.crypt, "text", "key", string.rep("s", 17))
	err("decrypt-bad", md5.decrypt, "\20abc", "key")

	local lpeg = require "lpeg"
	local digits = lpeg.C(lpeg.R("09") ^ 1)
	out("lpeg", digits:match("2026-12-03"))
	print("done")
end)
