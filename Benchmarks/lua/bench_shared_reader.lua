-- A service that reads the big shared table of bench_main's `shared_*` benches through `api`:
-- sharedata, sharetable, or copy (its own copy, sent in a message).
--   read      -> the sum of every record's price (reads the whole table once)
--   version   -> the version it reads now (a sharetable reader takes the latest one first)
--   set t     (copy) keep t as its table (answers a call, not a send)
local skynet = require "skynet"

local api = ...
local t

local function table_now()
    if api == "sharedata" then
        t = t or require("skynet.sharedata").query("big")
    elseif api == "sharetable" then
        local sharetable = require "skynet.sharetable"
        if t then
            sharetable.update("big")
        else
            t = sharetable.query("big")
        end
    end
    return t
end

skynet.start(function()
    skynet.dispatch("lua", function(session, _, cmd, value)
        if cmd == "set" then
            t = value
            if session ~= 0 then skynet.ret(skynet.pack(true)) end
        elseif cmd == "read" then
            local sum = 0
            for _, record in ipairs(table_now().records) do
                sum = sum + record.price + #record.tags
            end
            skynet.ret(skynet.pack(sum))
        else
            skynet.ret(skynet.pack(table_now().version))
        end
    end)
end)
