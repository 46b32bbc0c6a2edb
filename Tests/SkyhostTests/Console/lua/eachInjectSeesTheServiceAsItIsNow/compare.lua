local skynet = require "skynet"
local function getupvaluetable(u, func, unique)
    local i = 1
    while true do
        local name, value = debug.getupvalue(func, i)
        if name == nil then return end
        local t = type(value)
        if t == "table" then
            u[name] = value
        elseif t == "function" and not unique[value] then
            unique[value] = true
            getupvaluetable(u, value, unique)
        end
        i = i + 1
    end
end
local u, unique = {}, {}
getupvaluetable(u, skynet.dispatch_message, unique)
getupvaluetable(u, skynet.register_protocol, unique)
local p = {}
for _, v in pairs(u.proto) do
    if v.name and v.dispatch and not p[v.name] then
        p[v.name] = {}
        getupvaluetable(p[v.name], v.dispatch, unique)
    end
end
local differences = {}
for name, value in pairs(u) do
    if _U[name] ~= value then differences[#differences + 1] = "_U." .. name end
end
for name, tables in pairs(p) do
    for key, value in pairs(tables) do
        if not _P[name] or _P[name][key] ~= value then differences[#differences + 1] = "_P." .. name .. "." .. key end
    end
end
for name, tables in pairs(_P) do
    for key in pairs(tables) do
        if not p[name] or p[name][key] == nil then differences[#differences + 1] = "extra _P." .. name .. "." .. key end
    end
end
table.sort(differences)
print(#differences == 0 and "same" or table.concat(differences, " "),
    type(_P.lua.handles), type(_P.lua.late), type(_P.lua.other), _P.client and type(_P.client.clients))
