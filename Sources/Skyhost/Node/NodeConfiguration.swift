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
/// between the endless-loop checks; default 500, as Skynet's 5 s). Skyhost's own `lualib/` and
/// `service/` folders are always searched after the paths the config gives, so
/// `require "skynet"` and the built-in services are found from any config.
public struct NodeConfiguration: Sendable {
    /// The environment, as `skynet.getenv` sees it.
    public var environment: [String: String]
    /// The folder that holds Skyhost's `lualib/` and `service/`.
    public var root: String
    /// Native modules offered to the node's Lua services besides the built-in ones
    /// (`skynet.socketdriver`, `skynet.crypt`); SkyhostMySQL's `enableMySQL()` adds
    /// `skyhost.mysql`.
    package var nativeModules: [NativeModule] = []

    /// Creates a configuration from environment values.
    public init(environment: [String: String] = [:], root: String = NodeConfiguration.defaultRoot) {
        self.environment = environment
        self.root = root
    }

    /// Reads a Skynet-style config file: a Lua chunk of global assignments, where `$NAME` is
    /// replaced by the process environment's NAME and `include "file"` reads another config
    /// relative to the including file. Numbers and booleans become strings.
    public init(
        contentsOfFile path: String, root: String = NodeConfiguration.defaultRoot,
        processEnvironment: [String: String] = ProcessInfo.processInfo.environment
    ) throws {
        self.root = root
        self.environment = try ConfigFileReader(processEnvironment: processEnvironment).read(path)
    }

    /// Skyhost's installation folder: `$SKYHOST_ROOT`, else the checkout this library was built from.
    public static var defaultRoot: String {
        if let root = ProcessInfo.processInfo.environment["SKYHOST_ROOT"], !root.isEmpty { return root }
        // Sources/Skyhost/Node/NodeConfiguration.swift -> the package folder.
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
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
        if env["lualoader"] == nil || missingLoader != nil { env["lualoader"] = "\(root)/lualib/loader.lua" }
        if env["bootstrap"] == nil { env["bootstrap"] = "snlua bootstrap" }
        if env["thread"] == nil { env["thread"] = String(threadCount) }
        if env["harbor"] == nil { env["harbor"] = "0" }
        return env
    }

    /// The configured `lualoader` when it names a file that does not exist (a Skynet config run
    /// from a folder that has Skynet's examples but not its lualib/): Skyhost's own loader is
    /// used instead.
    private var missingLoader: String? {
        guard let loader = environment["lualoader"], !loader.isEmpty,
            !FileManager.default.isReadableFile(atPath: loader)
        else { return nil }
        return loader
    }

    /// What the node does differently from the config as written, a log line each: a missing
    /// `lualoader` replaced by Skyhost's, and `cpath` (Skynet's C services, which Skyhost has
    /// built in) not used.
    func substitutions() -> [String] {
        var notes: [String] = []
        if let loader = missingLoader {
            notes.append("lualoader \(loader) not found: using Skyhost's \(root)/lualib/loader.lua")
        }
        if let cpath = environment["cpath"], !cpath.isEmpty {
            notes.append("cpath \(cpath) ignored: Skyhost's C services (logger, harbor, snlua) are built in")
        }
        return notes
    }

    private static func appending(_ builtIn: String, to user: String?) -> String {
        guard let user, !user.isEmpty else { return builtIn }
        return user.hasSuffix(";") ? user + builtIn : user + ";" + builtIn
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
