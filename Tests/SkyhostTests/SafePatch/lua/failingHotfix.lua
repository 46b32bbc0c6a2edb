local handles, config = _P.lua.handles, _P.lua.config
handles.greet = function() return "patched greet" end
handles.extra = function() return "extra" end
config.greeting = "bye"
config.limit = nil
local function other() return "joined" end
local function holder() return other() end
local function index_of(f, name)
    for i = 1, 50 do if debug.getupvalue(f, i) == name then return i end end
end
debug.upvaluejoin(handles.dump, index_of(handles.dump, "greet"), holder, 1)
for i = 1, 10 do
    local name = debug.getupvalue(handles.hit, i)
    if name == "state" then debug.setupvalue(handles.hit, i, { hits = 100 }) end
end
setmetatable(_P.lua.shaped, nil)
_G.patched = true
print("changed everything")
error("fails after the changes")
