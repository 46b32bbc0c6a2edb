local skynet = require "skynet"
local function check(cond, ...) skynet.error(cond and "ok" or "FAIL", ...) end
-- Runs f in a thread of its own; the returned function waits for its pcall results.
local function async(f, ...)
    local args, result, waiter = table.pack(...)
    skynet.fork(function()
        result = table.pack(pcall(f, table.unpack(args, 1, args.n)))
        if waiter then skynet.wakeup(waiter) end
    end)
    return function()
        if not result then waiter = coroutine.running() skynet.wait(waiter) end
        return table.unpack(result, 1, result.n)
    end
end
skynet.start(function()
    local t = skynet.newservice("target")
    -- RUN
    local ok, out = skynet.call(t, "debug", "RUN", "print('x', ...) return 1", "probe.lua", "a", 2)
    check(ok == true and out == "x\ta\t2", "RUN", ok, out)
    ok, out = skynet.call(t, "debug", "RUN", "print('before') error('boom')", "probe.lua")
    check(ok == false and out == "before\nprobe.lua:1: boom\nnothing was applied", "RUN error", out)
    ok, out = skynet.call(t, "debug", "RUN", "print('never') x = = 1", "probe.lua")
    check(ok == false and out == "probe.lua:1: unexpected symbol near '='", "RUN syntax", out)
    ok, out = skynet.call(t, "debug", "RUN", "error('unnamed')")
    check(ok == false and out == "(load):1: unnamed\nnothing was applied", "RUN without a file name", out)
    -- MEM, STAT, SUPPORT, PING, INFO, TASK, UNIQTASK
    local kb = skynet.call(t, "debug", "MEM")
    check(math.type(kb) == "float" and kb > 10 and kb < 100000, "MEM", kb)
    local st = skynet.call(t, "debug", "STAT")
    check(st.task == 0 and st.mqlen == 0 and st.message >= 5 and type(st.cpu) == "number", "STAT", st.task, st.mqlen, st.message)
    check(skynet.call(t, "debug", "SUPPORT", "lua") == true and skynet.call(t, "debug", "SUPPORT", "nope") == false, "SUPPORT")
    check(select("#", skynet.call(t, "debug", "PING")) == 0, "PING")
    check(select("#", skynet.call(t, "debug", "INFO")) == 1 and skynet.call(t, "debug", "INFO") == nil, "INFO without info_func")
    check(next(skynet.call(t, "debug", "TASK")) == nil and next(skynet.call(t, "debug", "UNIQTASK")) == nil, "no tasks")
    check(skynet.call(t, "debug", "TASK", 12345) == "No session", "TASK of an unknown session")
    check(skynet.call(t, "debug", "HELLO", "you") == "hello you", "a command of reg_debugcmd")
    check(skynet.call(t, "debug", "KILLTASK", "nothread") == "Not found", "KILLTASK")
    check(not pcall(skynet.call, t, "debug", "NOSUCH"), "an unknown command fails the call")
    -- GC: no answer, a log line.
    skynet.send(t, "debug", "GC")
    -- TRACELOG
    skynet.call(t, "debug", "TRACELOG", true)
    check(skynet.call(t, "lua", "traced") == "traced", "TRACELOG")
    skynet.call(t, "debug", "TRACELOG", "lua", false)
    -- TERM: a call waiting on t fails as if t had gone.
    local held = async(skynet.call, t, "lua", "hold")
    skynet.yield()
    skynet.send(skynet.self(), "debug", "TERM", t)
    local term_ok, term_err = held()
    check(term_ok == false and tostring(term_err):find("call failed", 1, true), "TERM", term_err)
    check(skynet.call(t, "lua", "still") == "still", "t serves after TERM")
    -- LINK: answered only by t's exit (EXIT).
    local linked = async(skynet.call, t, "debug", "LINK")
    skynet.yield()
    skynet.send(t, "debug", "EXIT")
    local link_ok, link_err = linked()
    check(link_ok == false, "LINK", link_err)
    check(not pcall(skynet.call, t, "lua", "gone"), "EXIT")
    skynet.error("DONE")
end)
