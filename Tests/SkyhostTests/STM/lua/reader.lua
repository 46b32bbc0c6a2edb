-- Reads the stm object it is given every centisecond; checks each version whole.
--   start ref   begins;   wait n   answers once version n has been read
--   report      -> "reader: V versions read, increasing, none torn; after the writer: R"
local skynet = require "skynet"
local stm = require "skynet.stm"

local reader
local last, seen, torn, disorder = -1, 0, 0, 0
local waiting

local function poll()
	local ok, n, double, text = reader(skynet.unpack)
	if ok then
		seen = seen + 1
		if n <= last then
			disorder = disorder + 1
		end
		if double ~= n * 2 or #text ~= n then
			torn = torn + 1
		end
		last = n
	end
	if waiting and last >= waiting.n then
		waiting.respond(true)
		waiting = nil
	end
end

skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd, arg)
		if cmd == "start" then
			reader = stm.newcopy(arg)
			skynet.fork(function()
				while reader do
					poll()
					skynet.sleep(1)
				end
			end)
			skynet.ret()
		elseif cmd == "wait" then
			waiting = { n = arg, respond = skynet.response() }
			poll()
		else
			local after = reader(skynet.unpack)
			skynet.ret(skynet.pack(string.format("reader: %s versions read, %s, %s; after the writer: %s",
				seen > 0 and "some" or "no", disorder == 0 and "increasing" or "OUT OF ORDER",
				torn == 0 and "none torn" or "TORN", tostring(after))))
		end
	end)
end)
