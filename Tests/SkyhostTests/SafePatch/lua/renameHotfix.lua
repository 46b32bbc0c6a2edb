local handles = _P.lua.handles
local old = handles.greet
handles.greet = function(who) return "v2 " .. old(who) end
