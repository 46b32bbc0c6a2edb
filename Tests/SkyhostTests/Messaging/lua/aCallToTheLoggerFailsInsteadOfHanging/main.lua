local skynet = require "skynet"
skynet.register_protocol {
    name = "text", id = skynet.PTYPE_TEXT, pack = function(text) return text end,
    unpack = skynet.tostring,
}
skynet.start(function()
    local ok, err = pcall(skynet.call, ":00000001", "text", "to the logger")
    skynet.error("logger call", ok, err)
end)
