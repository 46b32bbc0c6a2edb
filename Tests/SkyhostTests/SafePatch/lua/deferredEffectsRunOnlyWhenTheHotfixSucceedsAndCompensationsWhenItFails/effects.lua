local fail = ...
_DEFER(function() _G.print("deferred effect ran") end)
_UNDO(function() _G.print("compensation ran") end)
_P.lua.config.greeting = "hey"
_P.lua.handles.helpers_left = function() return type(_DEFER) .. " " .. type(_UNDO) end
if fail == "fail" then error("no") end
