-- Prints "name\tvalue" lines for CryptTests: DES with both paddings, round trips, bad arguments.
local skynet = require "skynet"
local crypt = require "skynet.crypt"

local hex = crypt.hexencode

local report = require "report"
local out, err = report.out, report.err

skynet.start(function()
	local iso, pkcs7 = crypt.padding.iso7816_4, crypt.padding.pkcs7
	out("padding", string.format("iso7816_4=%d pkcs7=%d", iso, pkcs7))
	out("fips", hex(crypt.desencode(crypt.hexdecode("133457799bbcdff1"), crypt.hexdecode("0123456789abcdef"),
		pkcs7)):sub(1, 16))

	local key = "skyhost!"
	for _, text in ipairs { "", "a", "game server", "0123456789abcdef", "patched at 3 a.m." } do
		local a, b = crypt.desencode(key, text), crypt.desencode(key, text, pkcs7)
		out("iso " .. text, hex(a))
		out("pkcs7 " .. text, hex(b))
		out("back " .. text, crypt.desdecode(key, a) == text and crypt.desdecode(key, b, pkcs7) == text)
	end

	local ok = 0
	for n = 0, 199 do
		local text = {}
		for i = 1, n do
			text[i] = string.char(math.random(0, 255))
		end
		text = table.concat(text)
		local k = crypt.randomkey()
		if crypt.desdecode(k, crypt.desencode(k, text)) == text
			and crypt.desdecode(k, crypt.desencode(k, text, pkcs7), pkcs7) == text then
			ok = ok + 1
		end
	end
	out("random", ok .. " texts of 0 to 199 bytes round-trip in both paddings")

	err("key-short", crypt.desencode, "1234567", "text")
	err("length-odd", crypt.desdecode, key, "1234567")
	err("length-zero", crypt.desdecode, key, "")
	-- A block whose plain text ends with neither 0x80 and zeros nor a valid count.
	err("bad-padding", crypt.desdecode, key, crypt.desencode(key, "1234567", pkcs7), iso)
	err("wrong-key", crypt.desdecode, "another!", crypt.desencode(key, "game server"))
	err("mode", crypt.desencode, key, "text", 2)
	print("done")
end)
