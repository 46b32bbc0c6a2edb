-- Patches a method the counter lacks (and one it has): refused, nothing changes.
local count

function response.get()
	return "broken", count
end

function response.nothing()
	return count
end
