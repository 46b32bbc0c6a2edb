import CLua
import Foundation
import Lua

/// A node's configuration: Skynet's environment, every value a string readable with
/// `skynet.getenv`.
///
/// Keys Skyhost reads itself: `thread` (workers, default: the number of cores), `harbor`
/// (default 0), `bootstrap` (default `snlua bootstrap`), `start` (default `main`), `lua_path`,
/// `lua_cpath`, `luaservice`, `lualoader`, `preload`, `logger` (a log file; default: standard
/// output), `logpath` (folder of the `logon` message logs), `monitor_interval` (centiseconds
/// between the endless-loop checks; default 500, as Skynet's 5 s). Skyhost's own `lualib/` and `service/` folders are always searched after the paths
/// the config gives, so `require "skynet"` and the built-in services are found from any config.
public struct NodeConfiguration: Sendable {
    /// The environment, as `skynet.getenv` sees it.
    public var environment: [String: String]
    /// The folder that holds Skyhost's `lualib/` and `service/`.
    public var root: String

    /// Creates a configuration from environment values.
    public init(environment: [String: String] = [:], root: String = NodeConfiguration.defaultRoot) {
        self.environment = environment
        self.root = root
    }

    /// Reads a Skynet-style config file: a Lua chunk of global assignments, where `$NAME` is
    /// replaced by the process environment's NAME and `include "file"` reads another config
    /// relative to the including file. Numbers and booleans become strings.
    public init(contentsOfFile path: String, root: String = NodeConfiguration.defaultRoot,
                processEnvironment: [String: String] = ProcessInfo.processInfo.environment) throws {
        self.root = root
        self.environment = try ConfigFileReader(processEnvironment: processEnvironment).read(path)
    }

    /// Skyhost's installation folder: `$SKYHOST_ROOT`, else the checkout this library was built from.
    public static var defaultRoot: String {
        if let root = ProcessInfo.processInfo.environment["SKYHOST_ROOT"], !root.isEmpty { return root }
        // Sources/Skyhost/NodeConfiguration.swift -> the package folder.
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().path
    }

    /// Number of worker threads.
    var threadCount: Int {
        if let t = environment["thread"], let n = Int(t), n > 0 { return n }
        return max(1, ProcessInfo.processInfo.activeProcessorCount)
    }

    var harbor: UInt32 { UInt32(environment["harbor"] ?? "0") ?? 0 }

    /// The environment with Skyhost's paths filled in.
    func resolvedEnvironment() -> [String: String] {
        var env = environment
        let lualib = "\(root)/lualib/?.lua;\(root)/lualib/?/init.lua"
        let service = "\(root)/service/?.lua"
        env["lua_path"] = Self.appending(lualib, to: env["lua_path"])
        env["luaservice"] = Self.appending(service, to: env["luaservice"])
        env["lua_cpath"] = Self.appending("\(root)/luaclib/?.so", to: env["lua_cpath"])
        if env["lualoader"] == nil { env["lualoader"] = "\(root)/lualib/loader.lua" }
        if env["bootstrap"] == nil { env["bootstrap"] = "snlua bootstrap" }
        if env["thread"] == nil { env["thread"] = String(threadCount) }
        if env["harbor"] == nil { env["harbor"] = "0" }
        return env
    }

    private static func appending(_ builtIn: String, to user: String?) -> String {
        guard let user, !user.isEmpty else { return builtIn }
        return user.hasSuffix(";") ? user + builtIn : user + ";" + builtIn
    }
}

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
            throw NodeError.badConfig("cannot read config file \(path)")
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
            throw NodeError.badConfig(message)
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

extension NodeConfiguration {
    /// The `luaservice` search path, Skyhost's service folder included.
    public var servicePath: String { resolvedEnvironment()["luaservice"] ?? "" }

    /// The file `luaservice` resolves `name` to, as the loader would find it, or nil.
    public func findService(_ name: String) -> String? {
        for pattern in servicePath.split(separator: ";") {
            let file = pattern.replacingOccurrences(of: "?", with: name)
            if FileManager.default.isReadableFile(atPath: file) { return file }
        }
        return nil
    }
}
