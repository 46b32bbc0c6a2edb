-- loader.lua: the first Lua code of every Lua service (Skynet's lualib/loader.lua), run by the
-- host with the launch string "name arg1 arg2 ...".
--
-- The host compiles this file from source for every new service (some 40 us for the whole
-- loader), so it only hands over to skynet/loader_body.lua beside it, which `loadfile` reads
-- through the node's code cache. What the loader does is described there.

local dir = string.match(debug.getinfo(1, "S").source, "^@(.-)[^/]*$") or ""
return assert(loadfile(dir .. "skynet/loader_body.lua"))(...)
