_P.lua.handles.who = function() return "patched" end
print("patched", ...)
