-- Replaces get and sets the shared count, then raises in hotfix: everything is put back.
local count

function response.get()
	return "broken", count
end

function hotfix()
	count = 1000
	error("hotfix refuses")
end
