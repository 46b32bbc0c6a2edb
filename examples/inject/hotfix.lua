--hotfix.lua
local handles = _P.lua.handles
local print = _G.print

handles.foo = function()
    print("foo after hotfix")
end

handles.bar = function()
    print("bar after hotfix")
end
