local skynet = require "skynet"
require "skynet.manager"
local crypt = require "skynet.crypt"
local UpdateAuth = require "update_auth"
local function token(key)
    local ts = tostring(os.time())
    return "mallory:" .. ts .. ":" .. crypt.base64encode(crypt.hmac_sha1(key, "mallory:" .. ts))
end
skynet.start(function()
    print("setenv", pcall(skynet.setenv, "update_key", "chosen-by-mallory"))  -- as the console's setenv
    print("chosen key", (UpdateAuth.verify_token(token("chosen-by-mallory"))))
    print("real key", (UpdateAuth.verify_token(token("the-real-key"))))
    skynet.abort()
end)
