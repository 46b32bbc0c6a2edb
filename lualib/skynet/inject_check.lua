-- skynet.inject_check: checks a hotfix against a service without running it.
--
--   require("skynet.inject_check")(source, filename, u, p) -> ok, lines
--
-- Compiles the source (a syntax error is reported as Lua gives it, nothing else is checked),
-- then reads its tokens for the names it uses as `_U.name` / `_U["name"]` and
-- `_P.protocol.name` / `_P["protocol"]["name"]`, and reports those the target's _U and _P (u, p:
-- the tables inject would give it now) do not have, with their line numbers. ok is false when
-- the source does not compile or uses a name the target lacks. Names reached another way (through
-- a local alias of _U, or computed keys) are not checked, and the report says how many uses it
-- could not follow.

local sub, find, match = string.sub, string.find, string.match
local format = string.format

-- What the simple escapes of a quoted string stand for (others are dropped: names don't use them).
local ESCAPES = { n = "\n", t = "\t", r = "\r", a = "\a", b = "\b", f = "\f", v = "\v",
	["\\"] = "\\", ["\""] = "\"", ["'"] = "'", ["\n"] = "\n" }

-- The tokens of Lua source: { kind, value, line } with kind "name", "string" or the symbol
-- itself ("." "[" "]" ...); numbers, comments and whitespace are dropped. Good enough to find
-- field accesses; the source has already compiled, so it is well formed.
local function tokens(source)
	local list, pos, line, len = {}, 1, 1, #source
	local function add(kind, value)
		list[#list + 1] = { kind = kind, value = value, line = line }
	end
	local function count_lines(from, to)
		for _ in sub(source, from, to):gmatch("\n") do
			line = line + 1
		end
	end
	-- A long bracket at pos ("[[", "[==["): returns its content and the position after it.
	local function long_bracket(at)
		local equals = match(source, "^%[(=*)%[", at)
		if not equals then
			return nil
		end
		local open_end = at + #equals + 2
		local close = "]" .. equals .. "]"
		local s, e = find(source, close, open_end, true)
		if not s then
			s, e = len + 1, len
		end
		local content = sub(source, open_end, s - 1)
		count_lines(at, e)
		return content, e + 1
	end
	while pos <= len do
		local c = sub(source, pos, pos)
		if c == "\n" then
			line = line + 1
			pos = pos + 1
		elseif find(c, "%s") then
			pos = pos + 1
		elseif sub(source, pos, pos + 1) == "--" then
			local _, after = long_bracket(pos + 2)
			if after then
				pos = after
			else
				local e = find(source, "\n", pos, true) or len + 1
				pos = e
			end
		elseif find(c, "[%a_]") then
			local name = match(source, "^[%w_]+", pos)
			add("name", name)
			pos = pos + #name
		elseif find(c, "%d") or (c == "." and find(sub(source, pos + 1, pos + 1), "%d")) then
			local number = match(source, "^%d*%.?[%w%.]*", pos)
			pos = pos + #number
			while find(sub(source, pos - 1, pos - 1), "[eEpP]") and find(sub(source, pos, pos), "[%+%-]") do
				pos = pos + 1 + #match(source, "^[%w%.]*", pos + 1)
			end
		elseif c == "\"" or c == "'" then
			local i, value = pos + 1, {}
			while i <= len do
				local d = sub(source, i, i)
				if d == c then
					break
				elseif d == "\\" then
					local e = sub(source, i + 1, i + 1)
					value[#value + 1] = ESCAPES[e] or ""
					if e == "\n" then
						line = line + 1
					end
					i = i + 2
				else
					value[#value + 1] = d
					i = i + 1
				end
			end
			add("string", table.concat(value))
			pos = i + 1
		elseif c == "[" then
			local content, after = long_bracket(pos)
			if content then
				add("string", content)
				pos = after
			else
				add("[")
				pos = pos + 1
			end
		else
			local symbol = match(source, "^%.%.%.", pos) or match(source, "^%.%.", pos)
				or match(source, "^[=~<>:/]=?", pos) or c
			if symbol == ":" and sub(source, pos, pos + 1) == "::" then
				symbol = "::"
			end
			add(symbol)
			pos = pos + #symbol
		end
	end
	return list
end

-- The field name after tokens[i] when it is `.name` or `["name"]`: name, index of the next token.
local function field_after(list, i)
	local t = list[i + 1]
	if t and t.kind == "." and list[i + 2] and list[i + 2].kind == "name" then
		return list[i + 2].value, i + 3
	end
	if t and t.kind == "[" and list[i + 2] and list[i + 2].kind == "string" and list[i + 3]
		and list[i + 3].kind == "]" then
		return list[i + 2].value, i + 4
	end
end

return function(source, filename, u, p)
	local chunk, err = load(source, filename and ("@" .. filename) or "=(check)", "t", {})
	if not chunk then
		return false, { "syntax error: " .. tostring(err) }
	end
	local list = tokens(source)
	local missing, used, unfollowed = {}, {}, 0
	local function note(name, ok, line)
		if not used[name] then
			used[name] = true
			used[#used + 1] = name
		end
		if not ok then
			missing[#missing + 1] = format("line %d: %s is not in the target", line, name)
		end
	end
	for i, t in ipairs(list) do
		local before = list[i - 1]
		local is_field = before and (before.kind == "." or before.kind == ":")
		if t.kind == "name" and not is_field and (t.value == "_U" or t.value == "_P") then
			local name, j = field_after(list, i)
			if not name then
				unfollowed = unfollowed + 1
			elseif t.value == "_U" then
				note("_U." .. name, u[name] ~= nil, t.line)
			else
				local protocol = p[name]
				local field = field_after(list, j - 1)
				if protocol == nil then
					note("_P." .. name, false, t.line)
				elseif field then
					note(format("_P.%s.%s", name, field), protocol[field] ~= nil, t.line)
				else
					note("_P." .. name, true, t.line)
				end
			end
		end
	end
	local lines = { "compiles" }
	if #used > 0 then
		lines[#lines + 1] = "uses " .. table.concat(used, ", ")
	else
		lines[#lines + 1] = "uses no _U / _P names"
	end
	for _, m in ipairs(missing) do
		lines[#lines + 1] = m
	end
	if unfollowed > 0 then
		lines[#lines + 1] = format("%d use%s of _U / _P not checked (not a plain field access)",
			unfollowed, unfollowed == 1 and "" or "s")
	end
	return #missing == 0, lines
end
