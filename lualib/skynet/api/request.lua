-- skynet.api.request: several calls at once (skynet.request and select). Run once by
-- lualib/skynet.lua, as chunk(skynet, internal), the first time a service reads skynet.request.
--
--   local req = skynet.request { addr, "lua", ... } { addr2, "lua", ... }   -- or req:add {...}
--   for req, resp in req:select(timeout) do ... end
-- resp is table.pack of the answer, false if the call failed, nil if the address was invalid.
-- After a timeout the loop ends and req.timeout is true. Leaving the loop early (break, error)
-- closes the request: the answers still to come are dropped.

local skynet, internal = ...
assert(type(internal) == "table", "skynet.api.request is loaded by skynet.lua, not by require")

local c = require "skynet.core"
local csend = c.send

local PTYPE_TRACE <const> = skynet.PTYPE_TRACE

local proto = internal.proto
local session_id_coroutine = internal.session_id_coroutine
local session_coroutine_tracetag = internal.session_coroutine_tracetag
local watching_session = internal.watching_session
local checked = internal.checked

local request_meta = {}
request_meta.__index = request_meta

function request_meta:add(obj)
	assert(type(obj) == "table" and not self._collector, "request:add needs a table, before select")
	self[#self + 1] = obj
	return self
end

request_meta.__call = request_meta.add

local function unpack_answer(unpack, msg, sz)
	return table.pack(unpack(msg, sz))
end

-- The thread every answer of one select is delivered to.
local function collect(self)
	while true do
		local ok, msg, sz, session = coroutine.yield "SUSPEND"
		if session == self._timer then
			self._timer = nil
			self.timeout = true
		else
			watching_session[session] = nil
			local req = self._by_session[session]
			local answer = false
			if ok and req then
				local unpacked, values = pcall(unpack_answer, proto[req[2]].unpack, msg, sz)
				if unpacked then
					answer = values
				end
			end
			self._answers[session] = answer
		end
		skynet.wakeup(self)
	end
end

local function answers(self)
	return function()
		local invalid = self._invalid
		if invalid then
			local req = table.remove(invalid)
			if req then
				return req
			end
			self._invalid = nil
		end
		local answered = self._answers
		local session, resp = next(answered)
		while session == nil do
			if self._pending == 0 or self.timeout then
				return
			end
			skynet.wait(self)
			session, resp = next(answered)
		end
		self._pending = self._pending - 1
		answered[session] = nil
		local req = self._by_session[session]
		self._by_session[session] = nil
		return req, resp
	end
end

function request_meta:select(timeout)
	assert(self._collector == nil, "select can be called only once")
	local collector = coroutine.create(collect)
	self._collector = collector
	local by_session = {}
	local invalid = nil
	local pending = 0
	for i = 1, #self do
		local req = self[i]
		local addr = req[1]
		local p = proto[req[2]]
		assert(p and p.unpack, "request to a protocol without unpack")
		local tag = session_coroutine_tracetag[internal.running_thread]
		if tag then
			skynet.tracelog(tag, "call", 2)
			csend(addr, PTYPE_TRACE, 0, tag)
		end
		local session = checked((internal.guard_send or csend)(addr, p.id, nil,
			p.pack(table.unpack(req, 3, req.n))))
		if session == nil then
			invalid = invalid or {}
			invalid[#invalid + 1] = req
		else
			by_session[session] = req
			watching_session[session] = addr
			session_id_coroutine[session] = collector
			pending = pending + 1
		end
	end
	self._by_session = by_session
	self._invalid = invalid
	self._answers = {}
	self._pending = pending
	if timeout then
		local session = checked((internal.guard_timer or c.intcommand)("TIMEOUT", timeout))
		self._timer = session
		session_id_coroutine[session] = collector
	end
	-- Runs up to its first yield. A plain resume: the running skynet thread stays this one.
	coroutine.resume(collector, self)
	return answers(self), nil, nil, self
end

function request_meta:close()
	local pending = self._pending
	if pending and pending > 0 then
		local answered = self._answers
		for session in pairs(self._by_session) do
			if answered[session] == nil then
				session_id_coroutine[session] = "BREAK"
				watching_session[session] = nil
			end
		end
		self._pending = 0
	end
	if self._timer then
		session_id_coroutine[self._timer] = "BREAK"
		self._timer = nil
	end
end

request_meta.__close = request_meta.close

function skynet.request(obj)
	local req = setmetatable({}, request_meta)
	if obj then
		return req(obj)
	end
	return req
end

return {}
