-- snax.interface: reads a snax service's file and sorts out its functions (Skynet's snax).
--
--   local interface = require "snax.interface"
--   local funcs, pattern = interface(name, G [, loader])
--
-- The file, found through the config key `snax` (a path like "./snax/?.lua"), defines
-- `function accept.NAME(...)` (messages without an answer), `function response.NAME(...)`
-- (requests), and the system functions `init`, `exit`, `hotfix`. It runs with `G` as its
-- environment (the service's own _ENV in snaxd; a stand-in for a client that only wants the
-- method ids); its other globals end up in G. `funcs` lists every method as
-- { id, group, name, function }: ids 1 to 4 are the system's (init, exit, hotfix, profile, their
-- function nil when the file has none), then accept and response methods in the order the file
-- defines them, so a client and the service number them alike. `loader(path, name, G)` returns
-- the file's main chunk and the pattern it was found with (default: the first pattern of `path`
-- whose file loads).

local skynet = require "skynet"

local SYSTEM = { "init", "exit", "hotfix", "profile" }

local function default_loader(path, name, G)
	local errors = {}
	for pattern in string.gmatch(path, "[^;]+") do
		local chunk, err = loadfile((string.gsub(pattern, "%?", name)), "bt", G)
		if chunk then
			return chunk, pattern
		end
		errors[#errors + 1] = err
	end
	error(table.concat(errors, "\n"))
end

return function(name, G, loader)
	loader = loader or default_loader
	assert(getmetatable(G) == nil, "the environment of a snax service must have no metatable")
	for _, reserved in ipairs { "init", "exit", "accept", "response" } do
		assert(G[reserved] == nil, "the environment of a snax service must not define " .. reserved)
	end

	local funcs = {}
	local system_id = {}
	for id, system in ipairs(SYSTEM) do
		funcs[id] = { id, "system", system }
		system_id[system] = id
	end

	-- accept.NAME = f / response.NAME = f: a new method with the next id.
	local function collector(group)
		local defined = {}
		return setmetatable({}, {
			__newindex = function(_, method, f)
				if type(method) ~= "string" then
					error(string.format("%s method only support string", group))
				end
				if type(f) ~= "function" then
					error(string.format("%s.%s must be function", group, method))
				end
				if defined[method] then
					error(string.format("%s.%s duplicate definition", group, method))
				end
				defined[method] = true
				funcs[#funcs + 1] = { #funcs + 1, group, method, f }
			end,
		})
	end

	-- While the file runs: reads of accept / response (and of globals it set) go to `visible`;
	-- a global assignment of init / exit / hotfix is the system function, any other is kept
	-- aside and copied into G at the end.
	local kept = {}
	local visible = setmetatable({ accept = collector("accept"), response = collector("response") },
		{ __index = kept })

	local path = assert(skynet.getenv "snax", "please set snax in config file")
	local main, pattern = loader(path, name, G)

	setmetatable(G, {
		__index = visible,
		__newindex = function(_, key, value)
			local id = system_id[key]
			if id then
				if type(value) ~= "function" then
					error(string.format("%s must be a function", key))
				end
				funcs[id][4] = value
			else
				kept[key] = value
			end
		end,
	})
	local ok, err = xpcall(main, debug.traceback)
	setmetatable(G, nil)
	assert(ok, err)
	for key, value in pairs(kept) do
		G[key] = value
	end
	return funcs, pattern
end
