-- skynet.db.redis.crc16: CRC-16/XMODEM (polynomial 0x1021, initial value 0), the checksum Redis
-- Cluster maps keys to its 16384 hash slots with. crc16("123456789") == 0x31c3.

local POLYNOMIAL <const> = 0x1021

-- The CRC of each byte value, computed once.
local table_of = {}
for byte = 0, 255 do
	local crc = byte << 8
	for _ = 1, 8 do
		if crc & 0x8000 ~= 0 then
			crc = ((crc << 1) ~ POLYNOMIAL) & 0xffff
		else
			crc = (crc << 1) & 0xffff
		end
	end
	table_of[byte] = crc
end

--- The CRC-16/XMODEM of the string `s`.
return function(s)
	local crc = 0
	for i = 1, #s do
		crc = ((crc << 8) & 0xffff) ~ table_of[((crc >> 8) ~ string.byte(s, i)) & 0xff]
	end
	return crc
end
