print(type(_U.proto), _U.proto.lua.name, _U.proto[10] == _U.proto.lua)
print(type(_U.session_id_coroutine), type(_U.session_coroutine_id))
print(type(_P.lua.handles), type(_P.lua.handles.foo))
local skynet = require "skynet"
print(skynet.address(skynet.self()))
