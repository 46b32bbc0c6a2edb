local skynet = require "skynet"
skynet.start(function()
    skynet.fork(function()
        local fuzzers = {}
        for i = 1, tonumber(skynet.getenv "fuzz_services") do fuzzers[i] = skynet.newservice("pack_fuzzer") end
        local left, me = #fuzzers, coroutine.running()
        local total = { buffers = 0, errors = 0, decoded = 0, mismatched = 0 }
        for i, f in ipairs(fuzzers) do
            skynet.fork(function()
                local r = skynet.call(f, "lua", "run", 1000 + i, tonumber(skynet.getenv "fuzz_per_service"))
                for k in pairs(total) do total[k] = total[k] + r[k] end
                for _, u in ipairs(r.unexpected) do skynet.error("FUZZ unexpected", u) end
                skynet.error("FUZZ kinds", r.kinds)
                left = left - 1
                if left == 0 then skynet.wakeup(me) end
            end)
        end
        skynet.wait(me)
        -- The fuzzers still serve.
        local alive = 0
        for _, f in ipairs(fuzzers) do
            if skynet.call(f, "lua", "ping") == "fuzzer ping" then alive = alive + 1 end
        end
        skynet.error(string.format("FUZZ buffers=%d errors=%d decoded=%d mismatched=%d alive=%d",
            total.buffers, total.errors, total.decoded, total.mismatched, alive))
    end)
end)
