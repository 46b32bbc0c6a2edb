-- Prints "hello" and its arguments.
local skynet = require "skynet"
print("hello", ...)
skynet.start(function() end)
