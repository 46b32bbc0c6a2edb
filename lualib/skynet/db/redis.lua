-- skynet.db.redis: a Redis client over skynet.socketchannel, with Skynet v1.8.0's API.
--
--   local redis = require "skynet.db.redis"
--   local db = redis.connect { host = "127.0.0.1", port = 6379, db = 0, auth = "pw", username = nil,
--                              overload = f }
--   db:set("k", "v"); db:get("k"); db:hmset("h", { "a", 1, "b", 2 }); db:exists("k") -- any command
--   db:pipeline({ { "set", "a", 1 }, { "incr", "a" } }, resp)  -- resp: { {ok=, out=}, ... }
--   db:disconnect()
--
--   local w = redis.watch { host = ..., port = ... }
--   w:subscribe("chan"); w:psubscribe("ch*")
--   local data, channel, pattern = w:message()   -- pattern: for a psubscribe'd channel
--
-- Commands are sent in the Redis protocol (RESP2). A reply is returned as Lua values: a status
-- as its text, an integer as a number, a bulk string as a string (nil when null), an array as a
-- table; an error reply raises its text in the caller. Requests of many coroutines share one
-- connection and are answered in order.

local socketchannel = require "skynet.socketchannel"

local redis = {}

-- Reading replies --------------------------------------------------------------------------------

local read_reply

-- The count of a "$" or "*" line; a malformed one fails the connection with a clear error.
local function count_of(text)
	local n = math.tointeger(tonumber(text))
	if not n then
		error(string.format("redis: malformed reply length %q", string.sub(text, 1, 64)), 0)
	end
	return n
end

-- By the first byte of a reply's line: ok, value.
local reply_kinds = {
	[string.byte "+"] = function(_, text)
		return true, text
	end,
	[string.byte "-"] = function(_, text)
		return false, text
	end,
	[string.byte ":"] = function(_, text)
		return true, tonumber(text)
	end,
	[string.byte "$"] = function(sock, text)
		local length = count_of(text)
		if length < 0 then
			return true, nil
		end
		return true, string.sub(sock:read(length + 2), 1, -3)
	end,
	[string.byte "*"] = function(sock, text)
		local count = count_of(text)
		if count < 0 then
			return true, nil
		end
		local values, all_ok = {}, true
		for i = 1, count do
			local ok, value = read_reply(sock)
			all_ok = all_ok and ok
			values[i] = value
		end
		return all_ok, values
	end,
}

--- Reads one reply from `sock`: ok (false for an error reply) and its value.
function read_reply(sock)
	local line = sock:readline "\r\n"
	local kind = reply_kinds[string.byte(line)]
	if not kind then
		error(string.format("redis: malformed reply %q", string.sub(line, 1, 64)), 0)
	end
	return kind(sock, string.sub(line, 2))
end

local function read_boolean(sock)
	local ok, value = read_reply(sock)
	return ok, value ~= 0
end

-- Writing commands ---------------------------------------------------------------------------------

-- Appends one argument as a bulk string (nil as a null bulk string).
local function append_argument(parts, value)
	if value == nil then
		parts[#parts + 1] = "$-1\r\n"
	else
		value = tostring(value)
		parts[#parts + 1] = "$" .. #value .. "\r\n"
		parts[#parts + 1] = value
		parts[#parts + 1] = "\r\n"
	end
end

--- The request for command `name` with `args` (nil, one value, or a table with n or #).
local function compose(name, args, parts)
	parts = parts or {}
	if args == nil then
		parts[#parts + 1] = "*1\r\n"
		append_argument(parts, name)
	elseif type(args) == "table" then
		local n = args.n or #args
		parts[#parts + 1] = "*" .. (n + 1) .. "\r\n"
		append_argument(parts, name)
		for i = 1, n do
			append_argument(parts, args[i])
		end
	else
		parts[#parts + 1] = "*2\r\n"
		append_argument(parts, name)
		append_argument(parts, args)
	end
	return parts
end

-- The login of a connection: AUTH (with a username if given) and SELECT, or nil if neither.
local function login(conf)
	local auth, db = conf.auth, conf.db
	if auth == nil and db == nil then
		return nil
	end
	if auth and conf.username then
		auth = { conf.username, auth }
	end
	return function(channel)
		if auth then
			channel:request(compose("AUTH", auth), read_reply)
		end
		if db then
			channel:request(compose("SELECT", db), read_reply)
		end
	end
end

-- Commands -----------------------------------------------------------------------------------------

local command = {}
local command_meta = { __index = command }

-- Any other name is a command of that name (upper-cased): db:get("k"), db:hmset("h", {...}).
setmetatable(command, {
	__index = function(t, name)
		local upper = string.upper(name)
		local function run(self, first, ...)
			local args = first
			if first ~= nil and type(first) ~= "table" then
				args = table.pack(first, ...)
			end
			return self[1]:request(compose(upper, args), read_reply)
		end
		t[name] = run
		return run
	end,
})

--- Connects to the server of `conf` (one attempt: raises if it fails; later requests reconnect).
function redis.connect(conf)
	local channel = socketchannel.channel {
		host = conf.host,
		port = conf.port or 6379,
		auth = login(conf),
		nodelay = true,
		overload = conf.overload,
	}
	channel:connect(true)
	return setmetatable({ channel }, command_meta)
end

--- Closes the connection; the object is unusable afterwards.
function command:disconnect()
	self[1]:close()
	setmetatable(self, nil)
end

--- EXISTS as a boolean.
function command:exists(key)
	return self[1]:request(compose("EXISTS", key), read_boolean)
end

--- SISMEMBER as a boolean.
function command:sismember(key, value)
	return self[1]:request(compose("SISMEMBER", table.pack(key, value)), read_boolean)
end

--- Sends the commands `ops` ({ name, args... } each) at once. With `resp`, appends
--- { ok =, out = } for each reply to it and returns it; without, returns the last reply.
function command:pipeline(ops, resp)
	assert(ops and #ops > 0, "pipeline is null")
	local parts = {}
	for _, op in ipairs(ops) do
		compose(op[1], table.pack(table.unpack(op, 2)), parts)
	end
	return self[1]:request(parts, function(sock)
		local ok, out
		for _ = 1, #ops do
			ok, out = read_reply(sock)
			if resp then
				resp[#resp + 1] = { ok = ok, out = out }
			end
		end
		if resp then
			return true, resp
		end
		return ok, out
	end)
end

-- Watching: subscriptions on a connection of their own ----------------------------------------------

local watch = {}
local watch_meta = {
	__index = watch,
	__gc = function(self)
		self.__sock:close()
	end,
}

-- The login of a watch connection, which also subscribes again to what it had subscribed to.
local function watch_login(conf, obj)
	local login_first = login(conf)
	return function(channel)
		if login_first then
			login_first(channel)
		end
		for pattern in pairs(obj.__psubscribe) do
			channel:request(compose("PSUBSCRIBE", pattern))
		end
		for name in pairs(obj.__subscribe) do
			channel:request(compose("SUBSCRIBE", name))
		end
	end
end

--- A connection for subscriptions (see the header).
function redis.watch(conf)
	local obj = { __subscribe = {}, __psubscribe = {} }
	local channel = socketchannel.channel {
		host = conf.host,
		port = conf.port or 6379,
		auth = watch_login(conf, obj),
		nodelay = true,
	}
	obj.__sock = channel
	channel:connect(true)
	return setmetatable(obj, watch_meta)
end

--- Closes the watch connection.
function watch:disconnect()
	self.__sock:close()
	setmetatable(self, nil)
end

for _, name in ipairs { "subscribe", "psubscribe", "unsubscribe", "punsubscribe" } do
	local upper = string.upper(name)
	watch[name] = function(self, ...)
		for i = 1, select("#", ...) do
			self.__sock:request(compose(upper, (select(i, ...))))
		end
	end
end

--- Waits for the next published message: data, channel (and the pattern, for a channel
--- subscribed by pattern). Confirmations of (un)subscriptions are recorded on the way.
function watch:message()
	while true do
		local reply = self.__sock:response(read_reply)
		local kind, channel, data, data2 = reply[1], reply[2], reply[3], reply[4]
		if kind == "message" then
			return data, channel
		elseif kind == "pmessage" then
			return data2, data, channel
		elseif kind == "subscribe" then
			self.__subscribe[channel] = true
		elseif kind == "psubscribe" then
			self.__psubscribe[channel] = true
		elseif kind == "unsubscribe" then
			self.__subscribe[channel] = nil
		elseif kind == "punsubscribe" then
			self.__psubscribe[channel] = nil
		end
	end
end

return redis
