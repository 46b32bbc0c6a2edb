local skynet = require "skynet"
local crypt = require "skynet.crypt"
local UpdateAuth = require "update_auth"
skynet.start(function()
    local key = skynet.getenv("update_key")
    local function token(operator, timestamp, k)
        return string.format("%s:%d:%s", operator, timestamp,
            crypt.base64encode(crypt.hmac_sha1(k or key, operator .. ":" .. timestamp)))
    end
    print("TOKEN valid " .. UpdateAuth.generate_token("alice"))
    print("TOKEN expired " .. token("alice", os.time() - 301))
    print("TOKEN forged " .. token("alice", os.time(), "another-key"))
    print("TOKEN future " .. token("alice", os.time() + 3600))
    print("TOKEN renamed " .. (UpdateAuth.generate_token("alice"):gsub("^alice", "mallory")))
    skynet.newservice("debug_console", "127.0.0.1", "0")
    skynet.newservice("target")
    skynet.newservice("updater")
    skynet.uniqueservice("config_mgr")
    print("DIRECT", "without", skynet.call(".updater", "lua", "update_service", "target"))
    print("DIRECT", "with", skynet.call(".updater", "lua", "update_service", "target",
        "--token", UpdateAuth.generate_token("bob")))
    print("ready")
end)
