_P.lua.handles.foo = function() return "patched" end
_G.print("the hotfix ran")
local x = = 1
