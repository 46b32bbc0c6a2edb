local skynet = require "skynet"
local socket = require "skynet.socket"
local function check(cond, ...) skynet.error(cond and "ok" or "FAIL", ...) end
skynet.start(function()
    local lid, ip, port = socket.listen("127.0.0.1", 0)
    check(ip == "127.0.0.1" and port > 0, "listen", ip, port)
    local agent = skynet.newservice("agent")
    socket.start(lid, function(id, addr)
        check(addr:match("^127%.0%.0%.1:%d+$"), "accept addr", addr)
        skynet.call(agent, "lua", "serve", id)
    end)

    local c, err = socket.open("127.0.0.1", port)
    check(c, "open", err)
    socket.write(c, "hel")
    socket.write(c, { "lo\nwor", "ld", "\n" })
    check(socket.readline(c) == "echo:hello", "readline")
    check(socket.read(c, 5) == "echo:", "read n")
    check(socket.readline(c, "\n") == "world", "readline sep")
    socket.write(c, "big\n")
    local big = socket.read(c, 300000)
    check(big and #big == 300000, "read big")
    socket.write(c, "quit\n")
    local a, b = socket.read(c, 100)
    check(a == false and b == "bye", "read at close", a, b)
    check(socket.disconnected(c), "disconnected")
    socket.close(c)
    check(socket.invalid(c), "invalid")
    check(socket.write(c, "x") == false, "write to closed")

    local lid2, _, port2 = socket.listen("127.0.0.1:0")
    socket.close(lid2)
    local c2, err2 = socket.open("127.0.0.1", port2)
    check(c2 == nil and err2 == "Connection refused", "refused", err2)
    check(not pcall(socket.listen, "127.0.0.1", port), "listen on a used port fails")

    local got
    local main_thread = coroutine.running()
    local lid3, _, port3 = socket.listen("127.0.0.1", 0)
    socket.start(lid3, function(id)
        socket.start(id) got = socket.readall(id) socket.close(id)
        skynet.wakeup(main_thread)
    end)
    local c3 = socket.open("127.0.0.1", port3)
    socket.write(c3, "all of it")
    socket.close(c3)
    if got == nil then skynet.wait(main_thread) end
    check(got == "all of it", "readall", got)

    local holder = skynet.newservice("holder")
    local hport = skynet.call(holder, "lua", "port")
    local c4 = socket.open("127.0.0.1", hport)
    skynet.send(holder, "lua", "exit")
    check(socket.read(c4) == false, "an exiting service's sockets close")
    socket.close(c4)
    -- (the listener closes with the service too, maybe a moment after that socket)
    local refused = false
    for _ = 1, 500 do
        local again = socket.open("127.0.0.1", hport)
        if again == nil then refused = true break end
        socket.close(again)
        skynet.sleep(1)
    end
    check(refused, "and its listener")
    skynet.error("DONE")
end)
