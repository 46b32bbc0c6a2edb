import CLua
import Foundation
import Lua

/// Runs config files in a scratch Lua state.
struct ConfigFileReader {
    let processEnvironment: [String: String]

    private static let script = """
        local path, getenv = ...
        local result = {}
        local function substitute(code, file)
            return (code:gsub("%$([%w_]+)", function(name)
                local value = getenv(name)
                if value == nil then error(file .. ": environment variable $" .. name .. " is not set", 0) end
                return value
            end))
        end
        local MAX_DEPTH = 32
        local including = {}   -- the files being read, outermost first
        -- "dir/./a/../b.config" and "dir/b.config" name one file: for finding include loops.
        local function normal(file)
            local parts = {}
            for part in file:gmatch("[^/]+") do
                if part == ".." and #parts > 0 and parts[#parts] ~= ".." then parts[#parts] = nil
                elseif part ~= "." then parts[#parts + 1] = part end
            end
            return (file:sub(1, 1) == "/" and "/" or "") .. table.concat(parts, "/")
        end
        local function run(file)
            for i, f in ipairs(including) do
                if normal(f) == normal(file) then
                    local chain = {}
                    for j = i, #including do chain[#chain + 1] = including[j] end
                    chain[#chain + 1] = file
                    error("recursive include: " .. table.concat(chain, " includes "), 0)
                end
            end
            if #including >= MAX_DEPTH then
                error("include nested more than " .. MAX_DEPTH .. " deep at " .. file, 0)
            end
            local f, why = io.open(file, "rb")
            if not f then error("cannot open " .. file .. ": " .. tostring(why), 0) end
            local code, rwhy = f:read("a")
            f:close()
            if not code then error("cannot read " .. file .. ": " .. tostring(rwhy), 0) end
            local dir = file:match("^(.*/)[^/]*$") or "./"
            local env = setmetatable(result, { __index = { include = function(name)
                if type(name) ~= "string" or name == "" then
                    error("include needs a file name (in " .. file .. ")", 0)
                end
                if name:sub(1, 1) ~= "/" then name = dir .. name end
                run(name)
            end } })
            local chunk, err = load(substitute(code, file), "@" .. file, "t", env)
            if not chunk then
                -- (a syntax error names the file and line; "attempt to load a binary chunk" does not)
                if err:sub(1, #file + 1) ~= file .. ":" then err = file .. ": " .. err end
                error(err, 0)
            end
            including[#including + 1] = file
            chunk()
            including[#including] = nil
        end
        run(path)
        setmetatable(result, nil)
        local out = {}
        for k, v in pairs(result) do
            if type(k) ~= "string" then error("config key " .. tostring(k) .. " is not a string", 0) end
            local t = type(v)
            if t == "string" or t == "number" or t == "boolean" then
                out[#out + 1] = k
                out[#out + 1] = tostring(v)
            else
                error("config value " .. k .. " is a " .. t .. " (only strings, numbers and booleans)", 0)
            end
        end
        return out
        """

    func read(_ path: String) throws -> [String: String] {
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw SkyhostError.badConfig("cannot read config file \(path)")
        }
        let lua = try LuaState()
        let env = processEnvironment
        do {
            try lua.load(Self.script, chunkName: "=config")
            try lua.push(path)
            try lua.pushFunction { L in
                // getenv(name) -> value | nil
                var len = 0
                guard let p = lua_tolstring(L, 1, &len) else { return 0 }
                let name = String(decoding: UnsafeRawBufferPointer(start: p, count: len), as: UTF8.self)
                guard let value = env[name] else { return 0 }
                return LuaState(borrowing: L).pushResult(value)
            }
            try lua.call(arguments: 2, results: 1)
        } catch let error as LuaError {
            // The reason, without the traceback through the reader above.
            let message = error.message.components(separatedBy: "\nstack traceback:").first ?? error.message
            throw SkyhostError.badConfig(message)
        }
        var result: [String: String] = [:]
        let count = lua_rawlen(lua.raw, -1)
        var i: lua_Integer = 1
        while i < count {
            lua_rawgeti(lua.raw, -1, i)
            lua_rawgeti(lua.raw, -2, i + 1)
            if let k = lua.string(at: -2), let v = lua.string(at: -1) { result[k] = v }
            lua.top -= 2
            i += 2
        }
        return result
    }
}
