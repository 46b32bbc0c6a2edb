_G.print("probe ran")
_P.lua.handles.greet = nil
_U.proto.lua = nil
local x = _P.lua.nosuch	-- luacheck: ignore 211
_P["lua"]["config"].x = 1
_P.client.handles.y = 2
_U.missing_table.z = 3
local alias = _U	-- luacheck: ignore 211
