-- The table of version v: every value in it says v, so a reader can tell one version from a mix.
return function(v)
	local t = { version = v, items = {}, nested = { deep = { v = v } } }
	for i = 1, 100 do
		t.items[i] = v
		t["key" .. i] = v
	end
	return t
end
