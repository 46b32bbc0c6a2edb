-- cjson/safe.lua: `require "cjson.safe"`, Debian's lua-cjson safe variant (decode and encode
-- return nil and the error instead of raising), with JSON integers decoded as Lua integers.
-- See lualib/cjson.lua for why.

local cjson = require "cjson"
return cjson._wrap(cjson._open("luaopen_cjson_safe"))
