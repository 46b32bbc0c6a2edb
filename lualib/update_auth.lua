-- lualib/update_auth.lua
-- 更新权限验证 (update authorisation: who may change a live node; docs/hot-updates.md).
--
-- A token is "OPERATOR:TIMESTAMP:SIGNATURE": TIMESTAMP is os.time() when it was made, SIGNATURE
-- is base64(HMAC-SHA1(key, "OPERATOR:TIMESTAMP")). It is valid for 300 seconds.
--
--   UpdateAuth.generate_token(operator)   -> token                (the classic version's API)
--   UpdateAuth.verify_token(token)        -> true, operator | false, reason
--   UpdateAuth.check(token, what)         -> true, operator | nil, reason
--       The one gate every update path goes through (the console's inject and update calls,
--       the updater's commands): verifies the token when the node has a key, writes the audit
--       record (who, what, when, result) to the audit log and the node log, and answers.
--       Without a key every update is let through, as on Skynet (operator "anonymous").
--   UpdateAuth.require(token, what)       -> operator, or raises the reason (error level 0)
--   UpdateAuth.split(...)                 -> token | nil, { n = ..., args without the token }
--       Takes the token off the end of an argument list: "--token", TOKEN or "--token=TOKEN".
--   UpdateAuth.protect(service, dispatch [, free])
--       Wraps a `lua` dispatch function so that every command except those in the set `free`
--       needs a token (split off the end of its arguments); a refused call is answered with
--       skynet.retpack(false, reason) and the command does not run.
--   UpdateAuth.operator()                 -> the operator of the command being served under protect
--   UpdateAuth.enabled()                  -> whether the node has an update key
--   UpdateAuth.announce()                 logs, once per node, whether updates need a token
--
-- The key: the environment variable SKYHOST_UPDATE_KEY, else the node's config `update_key`;
-- empty means none (the environment first, so that `setenv update_key` cannot replace it). The
-- audit log: the config `audit_log`, else "audit.log" in the config's `logpath` (Skynet's folder
-- for service logs; default "."). One line per decision:
--   2024-05-01 12:00:00 +0800<TAB>who=alice<TAB>what=console inject :0000000a fix.lua<TAB>result=accepted<TAB>by=:00000009 debug_console
-- also written to the node log as "update audit: ...". Without a key, nothing is written (to
-- either) unless `audit_log` is configured.
--
-- Where this file differs from the classic version (docs/hot-updates.md), and why:
--   * The key is not in the source (AUTH_KEY = "your-secret-key" would be the same on every
--     node and readable in the repository); it is read from the node's config or environment.
--     generate_token and verify_token raise / refuse when the node has none.
--   * The token must match the whole pattern (the classic version's unanchored match let
--     "junk:x:alice:123:SIG" through as alice's token), the operator can't contain ":" or
--     spaces (tokens travel as one word on the console), and a token longer than 512 bytes is
--     refused before any work.
--   * A timestamp more than 30 s in the future is refused: the classic version only checked the age, so
--     a token stamped years ahead would stay valid until then.
--   * The signatures are compared in constant time (every byte, whatever differs first), not
--     with ~=, which stops at the first difference and leaks how much of a forged signature is
--     right.
--   * The reasons keep the classic version's words and add English: "令牌已过期 (token expired ...)".

local skynet = require "skynet"
local crypt = require "skynet.crypt"

local TOKEN_TTL = 300       -- seconds a token stays valid
local FUTURE_SKEW = 30      -- seconds a token's timestamp may be ahead of this node's clock
local TOKEN_LIMIT = 512     -- longest token looked at

local UpdateAuth = {}

-- The node's update key, or nil. The environment's comes first: it cannot be changed from inside
-- the node, while a config key that is not set can be added at run time (skynet.setenv, the
-- console's `setenv update_key ...`) and would replace it.
local function auth_key()
	local key = os.getenv("SKYHOST_UPDATE_KEY")
	if key == nil or key == "" then
		key = skynet.getenv("update_key")
	end
	if key == "" then
		return nil
	end
	return key
end

function UpdateAuth.enabled()
	return auth_key() ~= nil
end

local function audit_path()
	local path = skynet.getenv("audit_log")
	if path and path ~= "" then
		return path, true
	end
	local dir = skynet.getenv("logpath")
	if not dir or dir == "" then
		dir = "."
	end
	return dir .. "/audit.log", false
end

local function signature(key, operator, timestamp)
	return crypt.base64encode(crypt.hmac_sha1(key, operator .. ":" .. timestamp))
end

-- Whether a == b, looking at every byte of b whatever differs first.
local function same(a, b)
	if #a ~= #b then
		return false
	end
	local diff = 0
	for i = 1, #b do
		diff = diff | (a:byte(i) ~ b:byte(i))
	end
	return diff == 0
end

-- 生成更新令牌
function UpdateAuth.generate_token(operator)
	local key = auth_key()
	if not key then
		error("no update key: set update_key in the node's config or SKYHOST_UPDATE_KEY in its environment", 2)
	end
	if type(operator) ~= "string" or not operator:match("^[^:%s]+$") then
		error("operator must be a non-empty string without ':' or spaces", 2)
	end
	local timestamp = os.time()
	return string.format("%s:%d:%s", operator, timestamp, signature(key, operator, tostring(timestamp)))
end

-- 验证令牌
function UpdateAuth.verify_token(token)
	local key = auth_key()
	if not key then
		return false, "no update key on this node (update_key / SKYHOST_UPDATE_KEY): tokens can't be verified"
	end
	if type(token) ~= "string" or #token > TOKEN_LIMIT then
		return false, "令牌格式错误 (malformed token: expected OPERATOR:TIMESTAMP:SIGNATURE)"
	end
	local operator, timestamp, sig = string.match(token, "^([^:%s]+):(%d+):([%w+/=]+)$")
	if not operator or not timestamp or not sig or #timestamp > 12 then
		return false, "令牌格式错误 (malformed token: expected OPERATOR:TIMESTAMP:SIGNATURE)"
	end

	-- 检查时间(5 分钟内有效)
	local now = os.time()
	local issued = math.tointeger(tonumber(timestamp))
	if now - issued > TOKEN_TTL then
		return false, string.format("令牌已过期 (token expired: made %d s ago, valid for %d s)", now - issued, TOKEN_TTL)
	end
	if issued - now > FUTURE_SKEW then
		return false, string.format("令牌时间无效 (token timestamp is %d s in the future)", issued - now)
	end

	-- 验证签名
	if not same(sig, signature(key, operator, timestamp)) then
		return false, "签名验证失败 (bad signature: the token was not made with this node's key)"
	end

	return true, operator
end

-- One audit field: no tabs or line breaks, at most 400 bytes.
local function field(value)
	local s = tostring(value):gsub("[%c]", " ")
	if #s > 400 then
		s = s:sub(1, 397) .. "..."
	end
	return s
end

local function audit(who, what, result)
	local path, configured = audit_path()
	if not configured and not auth_key() then
		return	-- no key, no audit_log: as Skynet, nothing to say
	end
	local line = string.format("who=%s\twhat=%s\tresult=%s\tby=%s %s", field(who), field(what), field(result),
		skynet.address(skynet.self()), field(SERVICE_NAME or "?"))
	skynet.error("update audit: " .. line)
	local file, err = io.open(path, "a")
	if not file then
		skynet.error(string.format("update audit: can't write the audit log %s: %s", path, tostring(err)))
		return
	end
	file:write(os.date("%Y-%m-%d %H:%M:%S %z"), "\t", line, "\n")
	file:close()
end

-- The operator a token names, as the audit shows it before the token is verified.
local function claimed(token)
	if type(token) ~= "string" then
		return "-"
	end
	local operator = token:match("^([^:%s]+):")
	return operator and (operator .. " (unverified)") or "-"
end

function UpdateAuth.check(token, what)
	what = what or "?"
	if not auth_key() then
		audit("anonymous", what, "accepted (no update key: not authenticated)")
		return true, "anonymous"
	end
	if token == nil or token == "" then
		local reason = "update refused: a token is required on this node (--token OPERATOR:TIMESTAMP:SIGNATURE)"
		audit("-", what, "refused: no token")
		return nil, reason
	end
	local ok, result = UpdateAuth.verify_token(token)
	if not ok then
		audit(claimed(token), what, "refused: " .. result)
		return nil, "update refused: " .. result
	end
	audit(result, what, "accepted")
	return true, result
end

function UpdateAuth.require(token, what)
	local ok, result = UpdateAuth.check(token, what)
	if not ok then
		error(result, 0)
	end
	return result
end

function UpdateAuth.split(...)
	local args = table.pack(...)
	local n = args.n
	local last = args[n]
	if n >= 2 and args[n - 1] == "--token" then
		args[n - 1], args[n] = nil, nil
		args.n = n - 2
		return last, args
	end
	if type(last) == "string" and last:sub(1, 8) == "--token=" then
		args[n] = nil
		args.n = n - 1
		return last:sub(9), args
	end
	return nil, args
end

-- "cmd arg1 arg2" for the audit.
local function describe(service, cmd, args)
	local words = { service, tostring(cmd) }
	for i = 1, args.n do
		local v = args[i]
		words[#words + 1] = type(v) == "table" and "{...}" or tostring(v)
	end
	return table.concat(words, " ")
end

-- coroutine -> the operator whose token let in the command it serves (see UpdateAuth.operator)
local operators = setmetatable({}, { __mode = "k" })

function UpdateAuth.protect(service, dispatch, free)
	free = free or {}
	return function(session, source, cmd, ...)
		local token, args = UpdateAuth.split(...)
		operators[coroutine.running()] = nil	-- (coroutines are reused)
		if not free[cmd] then
			local ok, why = UpdateAuth.check(token, describe(service, cmd, args))
			if not ok then
				if session ~= 0 then
					skynet.retpack(false, why)
				end
				return
			end
			operators[coroutine.running()] = why
		end
		return dispatch(session, source, cmd, table.unpack(args, 1, args.n))
	end
end

-- The operator of the command the running coroutine serves under UpdateAuth.protect ("anonymous"
-- without an update key), or nil: patches record who applied them.
function UpdateAuth.operator()
	return operators[coroutine.running()]
end

function UpdateAuth.announce()
	if skynet.getenv("update_auth_announced") then
		return
	end
	pcall(skynet.setenv, "update_auth_announced", "true")
	if auth_key() then
		skynet.error(string.format("update authorisation: ON -- inject and update commands need a token " ..
			"(OPERATOR:TIMESTAMP:SIGNATURE, valid %d s); audit log %s", TOKEN_TTL, (audit_path())))
	else
		skynet.error("update authorisation: OFF -- no update_key in the config and no SKYHOST_UPDATE_KEY; " ..
			"updates are not authenticated (as in Skynet)")
	end
end

return UpdateAuth
