-- Prints "name\tvalue" lines for CryptTests: hashkey, hmac64, hmac64_md5, hmac_hash, dhexchange,
-- dhsecret on fixed inputs, the Diffie-Hellman agreement, and bad arguments.
local skynet = require "skynet"
local crypt = require "skynet.crypt"
local md5 = require "md5"

local hex = crypt.hexencode

local report = require "report"
local out, err = report.out, report.err

skynet.start(function()
	for _, text in ipairs { "", "alice", "login server", string.rep("x", 100) } do
		out("hashkey " .. #text, hex(crypt.hashkey(text)))
		out("hmac_hash " .. #text, hex(crypt.hmac_hash("8bytekey", text)))
	end
	local inputs = { { "\1\2\3\4\5\6\7\8", "abcdefgh" }, { "\255\255\255\255\255\255\255\255", "\0\0\0\0\0\0\0\1" } }
	local same = true
	for i, p in ipairs(inputs) do
		out("hmac64 " .. i, hex(crypt.hmac64(p[1], p[2])))
		out("hmac64_md5 " .. i, hex(crypt.hmac64_md5(p[1], p[2])))
		out("dhsecret " .. i, hex(crypt.dhsecret(p[1], p[2])))
		local m = md5.sum((p[1] .. p[2]):rep(3))
		same = same and crypt.hmac64_md5(p[1], p[2]) == crypt.xor_str(m:sub(1, 8), m:sub(9, 16))
	end
	out("hmac64_md5 is md5", same)
	for _, x in ipairs { "\1\0\0\0\0\0\0\0", "\2\0\0\0\0\0\0\0", "secret!!", "\255\255\255\255\255\255\255\255",
		"\197\255\255\255\255\255\255\255" } do
		out("dhexchange " .. hex(x), hex(crypt.dhexchange(x)))
	end

	-- Client and server agree on a secret without sending it.
	local agree = 0
	for _ = 1, 100 do
		local a, b = crypt.randomkey(), crypt.randomkey()
		if crypt.dhsecret(crypt.dhexchange(a), b) == crypt.dhsecret(crypt.dhexchange(b), a) then
			agree = agree + 1
		end
	end
	out("shared secret", agree .. " pairs agree")

	err("dh-zero", crypt.dhexchange, string.rep("\0", 8))
	err("dh-size", crypt.dhexchange, "short")
	err("secret-zero", crypt.dhsecret, "12345678", string.rep("\0", 8))
	err("hmac64-x", crypt.hmac64, "1234567", "12345678")
	err("hmac64-y", crypt.hmac64, "12345678", "123456789")
	err("hmac_hash-key", crypt.hmac_hash, "key", "text")
	print("done")
end)
