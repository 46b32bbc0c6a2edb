-- service/version_mgr.lua
-- 版本控制服务 (the version manager: versions of server, config and protocol, and their history).
--
-- Commands (skynet.call(".version_mgr", "lua", CMD, ...)):
--   get_version([component])                   one version string, or the table of all of them
--   set_version(component, version [, who])    records the change in the history, saves -> true
--   get_history()                              { {component=, old_version=, new_version=,
--                                                 timestamp=os.time() [, operator=]}, ... }
-- Versions start at server = config = protocol = "1.0.0" and are kept in ./config/version.json
-- (relative to the node's working directory, as in Skynet), read back when the service starts.
--
-- Where this copy differs from the classic version (docs/hot-updates.md), and why:
--   * The history is saved too. The classic version wrote only the versions, so the history of changes
--     -- the point of the service -- was lost at every restart. The file is now
--       {"versions": {"server": "1.0.0", ...}, "history": [{...}, ...]}
--     and a file in the classic version's shape (just the versions) is still read.
--   * A version file that can't be read is logged (not silently ignored) unless it does not
--     exist yet; versions read from it are merged over the defaults, so a file that lacks a
--     component does not make get_version(component) nil. A file that can't be written is
--     logged. The file is written to version.json.tmp and renamed, so a crash mid-write never
--     leaves half a file.
--   * set_version checks its arguments (strings) and takes an optional third one, who made the
--     change (the operator), kept in the history entry.
--   * The file name can be changed with the `version_file` config key (default as the classic version).
--   * save_versions / load_versions are locals declared before use (the classic version's globals work
--     as well).

local skynet = require "skynet"
local cjson = require "cjson"

local VERSION_FILE = skynet.getenv("version_file") or "./config/version.json"

local versions = {
    server = "1.0.0",
    config = "1.0.0",
    protocol = "1.0.0",
}

local update_history = {}

local CMD = {}

local function save_versions()
    local ok, text = pcall(cjson.encode, { versions = versions, history = update_history })
    if not ok then
        skynet.error("version_mgr: can't encode the versions: " .. tostring(text))
        return false
    end
    local tmp = VERSION_FILE .. ".tmp"
    local file, err = io.open(tmp, "wb")
    if not file then
        skynet.error("version_mgr: can't write " .. VERSION_FILE .. ": " .. tostring(err))
        return false
    end
    file:write(text)
    file:close()
    local renamed, rerr = os.rename(tmp, VERSION_FILE)
    if not renamed then
        os.remove(tmp)
        skynet.error("version_mgr: can't write " .. VERSION_FILE .. ": " .. tostring(rerr))
        return false
    end
    return true
end

local function load_versions()
    local file = io.open(VERSION_FILE, "r")
    if not file then
        return	-- first start: the defaults
    end
    local content = file:read("*a")
    file:close()
    local ok, data = pcall(cjson.decode, content)
    if not ok or type(data) ~= "table" then
        skynet.error("version_mgr: ignoring " .. VERSION_FILE .. " (" .. tostring(ok and "not an object" or data) .. ")")
        return
    end
    local saved = data.versions
    if type(saved) ~= "table" then
        saved = data	-- the classic version's format: the versions alone
    end
    for component, version in pairs(saved) do
        if type(component) == "string" and type(version) == "string" then
            versions[component] = version
        end
    end
    if type(data.history) == "table" then
        for _, entry in ipairs(data.history) do
            if type(entry) == "table" then
                update_history[#update_history + 1] = entry
            end
        end
    end
end

function CMD.get_version(component)
    if component then
        return versions[component]
    end
    return versions
end

function CMD.set_version(component, version, operator)
    if type(component) ~= "string" or type(version) ~= "string" then
        return false, "usage: set_version(component, version) with two strings"
    end
    local old_version = versions[component]
    versions[component] = version

    -- 记录更新历史
    table.insert(update_history, {
        component = component,
        old_version = old_version,
        new_version = version,
        timestamp = os.time(),
        operator = operator ~= nil and tostring(operator) or nil,
    })

    -- 保存到文件
    save_versions()

    skynet.error(string.format("版本更新: %s %s -> %s",
        component, old_version, version))
    return true
end

function CMD.get_history()
    return update_history
end

skynet.start(function()
    load_versions()
    skynet.register(".version_mgr")

    skynet.dispatch("lua", function(session, source, cmd, ...)
        local f = assert(CMD[cmd])
        if session ~= 0 then
            skynet.retpack(f(...))
        else
            f(...)
        end
    end)
end)
