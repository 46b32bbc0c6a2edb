local skynet = require "skynet"
local kind = ...
local handles, config, state = {}, { greeting = "hello", limit = 3 }, { hits = 0 }
local function greet(who) return config.greeting .. " " .. who end
local shaped = setmetatable({}, { __index = function(_, k) return "shaped " .. k end })
local function sorted(t)
    local keys, out = {}, {}
    for k in pairs(t) do keys[#keys + 1] = tostring(k) end
    table.sort(keys)
    for _, k in ipairs(keys) do out[#out + 1] = k .. "=" .. tostring(type(t[k]) == "function" and "fn" or t[k]) end
    return table.concat(out, ",")
end
function handles.greet(who) return greet(who) end
function handles.hit() state.hits = state.hits + 1 return state.hits end
function handles.dump()
    return table.concat({ sorted(handles), sorted(config), greet("x"), shaped.y, tostring(rawget(_G, "patched")),
        tostring(getmetatable(shaped) ~= nil) }, "|")
end
if kind == "odd" then config.odd = true end
skynet.start(function()
    skynet.dispatch("lua", function(_, _, cmd, ...)
        if cmd == "peek" then return skynet.retpack(state.hits, config.limit, shaped.z) end
        local f = handles[cmd]
        if not f then error("no command " .. tostring(cmd)) end
        skynet.retpack(f(...))
    end)
end)
