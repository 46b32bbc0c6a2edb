-- md5: the Kepler project's md5 library as Skynet ships it: md5.core (sum, exor, crypt, decrypt;
-- Sources/Skyhost/NativeModules/MD5Module.swift) and, added to the same table,
--   sumhexa(text)        -> the MD5 digest of text in lowercase hex
--   hmacmd5(data, key)   -> HMAC-MD5 (RFC 2104) of data with key, in lowercase hex
local core = require "md5.core"

local function hex(bytes)
	return (bytes:gsub(".", function(c) return string.format("%02x", c:byte()) end))
end

function core.sumhexa(text)
	return hex(core.sum(text))
end

-- The key, padded with zeros to MD5's 64-byte block (a longer key is hashed first), xor'ed with
-- a repeated byte.
local function padded(key, byte)
	return (key .. string.rep("\0", 64 - #key)):gsub(".", function(c) return string.char(c:byte() ~ byte) end)
end

function core.hmacmd5(data, key)
	if #key > 64 then
		key = core.sum(key)
	end
	return hex(core.sum(padded(key, 0x5c) .. core.sum(padded(key, 0x36) .. data)))
end

return core
