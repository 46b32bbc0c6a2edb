-- service/config_mgr.lua
-- 配置管理服务 (the config manager: JSON configs reloaded while services read them).
--
-- Commands, as the classic version (skynet.call(".config_mgr", "lua", CMD, ...)):
--   load(name, file_path)      read a JSON file as config `name`     -> true | false, reason
--   get(name)                  the whole config                       -> table | nil
--   get_item(name, key)        one top-level item                     -> value | nil
--   update(name, key, value)   change one item in memory, notify      -> true
--   watch(name, service, cmd)  on every change, skynet.send(service, "lua", cmd, name, config)
--   reload_all()               read every file again, notify          -> { names reloaded }
--   check_update()             reload the files that changed, notify  -> { names updated }
--   save(name)                 write the config back to its file      -> true | false, reason
-- and once a second the service runs check_update itself, so an operator who edits a JSON file
-- on disk sees every watcher get the new values within about a second.
--
-- JSON is Debian's lua-cjson through lualib/cjson.lua, which returns JSON integers as Lua
-- integers (max_level is 100, not 100.0). Relative paths are relative to the node's working
-- directory, as in Skynet.
--
-- Where this copy differs from the classic version (docs/hot-updates.md), and why:
--   * No `stat` through io.popen. The classic version shells out to `stat -c %Y FILE` (a file name with
--     a space or a quote breaks it, or runs a command) and keeps whole-second mtimes, so a file
--     edited twice within a second -- or saved right after it was loaded -- is never reloaded.
--     Here the once-a-second check reads each file and compares it with the text it last saw:
--     no shell, no clock granularity, and a file rewritten with the same text is not a change.
--     (The table that the classic version calls file_mtimes is file_stamps, keyed by config name so
--     that two names loaded from one file both see its changes.)
--   * A failed reload never touches the config in memory: a file with invalid JSON (or whose top
--     level is not an object or array), or a file that vanished, keeps the old config, is logged
--     with the reason once (not every second), and notifies nobody. The classic version's check_update
--     did keep the old config but logged nothing and retried every second.
--   * `load` of a config that is already loaded notifies its watchers when the content changed:
--     the classic version's hotfix.sh updates a config with `call .config_mgr lua load NAME FILE`, and
--     without a notification game_logic would keep its old table. reload_all and check_update
--     notify once per reloaded config (the classic version's path notified through load as well).
--   * notify_watchers is a local function declared before its users (the classic version's global
--     works in Skynet too; a local cannot be replaced by accident from another chunk).
--     A watcher whose service has exited is dropped (and logged); a watcher whose handler raises
--     only logs in its own service; neither stops the other watchers. The same (service, cmd)
--     watching twice is kept once, so a service that re-runs its init does not get doubles.
--   * save writes to FILE.tmp and renames it over FILE, so the poll never reads half a file, and
--     does not count its own write as a change to reload.
--   * An unknown command raises "config_mgr: unknown command X" instead of "assertion failed!".

local skynet = require "skynet"
local cjson = require "cjson"

local configs = {}      -- name -> config_data
local config_files = {} -- name -> file_path
local watchers = {}     -- name -> { {service, cmd}, ... }
local file_stamps = {}  -- name -> the file's text when last read (false: could not be read)

local CMD = {}

-- The text of a file, or nil and the reason.
local function read_file(file_path)
	local file, err = io.open(file_path, "rb")
	if not file then
		return nil, err
	end
	local content, rerr = file:read("a")
	file:close()
	if not content then
		return nil, string.format("%s: %s", file_path, tostring(rerr))
	end
	return content
end

-- The config in `content`, or nil and the reason.
local function parse(content)
	local ok, data = pcall(cjson.decode, content)
	if not ok then
		return nil, (tostring(data):gsub("^[^\n]-%.lua:%d+: ", "", 1))
	end
	if type(data) ~= "table" then
		local what = data == cjson.null and "null" or "a " .. type(data)
		return nil, "the top level is " .. what .. ", not an object or an array"
	end
	return data
end

-- 通知订阅者
local function notify_watchers(name)
	local list = watchers[name]
	if not list then return end

	local alive = {}
	for _, watcher in ipairs(list) do
		local ok, session = pcall(skynet.send, watcher.service, "lua", watcher.cmd, name, configs[name])
		if not ok then
			skynet.error(string.format("config %s: can't notify %s (%s): %s", name,
				skynet.address(watcher.service), tostring(watcher.cmd), tostring(session)))
			alive[#alive + 1] = watcher
		elseif session == nil then
			skynet.error(string.format("config %s: watcher %s (%s) has exited; dropped", name,
				skynet.address(watcher.service), tostring(watcher.cmd)))
		else
			alive[#alive + 1] = watcher
		end
	end
	watchers[name] = alive
end

-- Reads `file_path` into config `name` (no notification). Returns true and whether the text
-- differs from what was loaded before, or false and the reason (the old config stays).
local function load_config(name, file_path)
	local content, why = read_file(file_path)
	if not content then
		return false, "文件不存在: " .. file_path .. " (" .. tostring(why) .. ")"
	end
	local data, err = parse(content)
	if not data then
		return false, "JSON 解析失败: " .. err
	end
	local changed = file_stamps[name] ~= content
	configs[name] = data
	config_files[name] = file_path
	file_stamps[name] = content
	return true, changed
end

-- 加载配置
function CMD.load(name, file_path)
	if type(name) ~= "string" or type(file_path) ~= "string" then
		return false, "usage: load(name, file_path)"
	end
	local existed = configs[name] ~= nil
	local ok, changed = load_config(name, file_path)
	if not ok then
		skynet.error(string.format("配置加载失败 %s: %s", name, changed))
		return false, changed
	end
	skynet.error(string.format("配置已加载: %s (%s)", name, file_path))
	if existed and changed then
		notify_watchers(name)
	end
	return true
end

-- 获取配置
function CMD.get(name)
	return configs[name]
end

-- 获取配置项
function CMD.get_item(name, key)
	local config = configs[name]
	if config then
		return config[key]
	end
	return nil
end

-- 更新配置(运行时修改)
function CMD.update(name, key, value)
	if not configs[name] then
		configs[name] = {}
	end
	configs[name][key] = value

	-- 通知订阅者
	notify_watchers(name)
	return true
end

-- 订阅配置变更
function CMD.watch(name, service, cmd)
	if not watchers[name] then
		watchers[name] = {}
	end
	for _, watcher in ipairs(watchers[name]) do
		if watcher.service == service and watcher.cmd == cmd then
			return
		end
	end
	table.insert(watchers[name], {service = service, cmd = cmd})
end

-- 重新加载所有配置
function CMD.reload_all()
	local reloaded = {}
	for name, file_path in pairs(config_files) do
		local ok, err = load_config(name, file_path)
		if ok then
			reloaded[#reloaded + 1] = name
			skynet.error(string.format("配置已加载: %s (%s)", name, file_path))
			notify_watchers(name)
		else
			skynet.error(string.format("重载失败 %s: %s (the previous config stays)", name, err))
		end
	end
	return reloaded
end

-- 检查并更新修改过的配置
function CMD.check_update()
	local updated = {}
	for name, file_path in pairs(config_files) do
		local content, why = read_file(file_path)
		if not content then
			if file_stamps[name] ~= false then
				file_stamps[name] = false
				skynet.error(string.format("config %s: can't read %s (%s); the previous config stays",
					name, file_path, tostring(why)))
			end
		elseif content ~= file_stamps[name] then
			file_stamps[name] = content
			local data, err = parse(content)
			if data then
				configs[name] = data
				updated[#updated + 1] = name
				notify_watchers(name)
				skynet.error("配置已更新:", name)
			else
				skynet.error(string.format("config %s: %s has invalid JSON (%s); the previous config stays",
					name, file_path, err))
			end
		end
	end
	return updated
end

-- 保存配置到文件
function CMD.save(name)
	local file_path = config_files[name]
	local data = configs[name]
	if not file_path or not data then
		return false, "配置不存在"
	end

	local ok, text = pcall(cjson.encode, data)
	if not ok then
		return false, "JSON 编码失败: " .. tostring(text)
	end
	local tmp = file_path .. ".tmp"
	local file = io.open(tmp, "wb")
	if not file then
		return false, "无法写入文件"
	end
	local written, err = file:write(text)
	file:close()
	if not written then
		os.remove(tmp)
		return false, "无法写入文件: " .. tostring(err)
	end
	local renamed, rerr = os.rename(tmp, file_path)
	if not renamed then
		os.remove(tmp)
		return false, "无法写入文件: " .. tostring(rerr)
	end
	file_stamps[name] = text
	return true
end

skynet.start(function()
	skynet.register(".config_mgr")

	-- 定时检查配置文件更新
	skynet.fork(function()
		while true do
			skynet.sleep(100)  -- 每秒检查
			local ok, err = pcall(CMD.check_update)
			if not ok then
				skynet.error("config check failed:", err)
			end
		end
	end)

	skynet.dispatch("lua", function(session, source, cmd, ...)
		local f = CMD[cmd]
		if not f then
			error("config_mgr: unknown command " .. tostring(cmd))
		end
		if session ~= 0 then
			skynet.retpack(f(...))
		else
			f(...)
		end
	end)
end)
