print("step 1")
_P.lua.handles.foo = function() return "foo v2" end
print("step 2")
local t = nil	-- luacheck: ignore 241
t.x = 1
print("never")
