-- A hotfix for the counter: a "hello" command.
local CMD = _P.lua.CMD
function CMD.hello()
	return "hello"
end
