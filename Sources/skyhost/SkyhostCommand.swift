import ArgumentParser
import Foundation
import Skyhost
import SkyhostMySQL

/// `skyhost CONFIG`: runs a node from a Skynet-style config file, as `skynet CONFIG` does; or,
/// with no config, from a folder holding `main.lua` and its services.
@main
struct SkyhostCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "skyhost",
        abstract: "Run a Skynet-style node of Lua 5.4 services.",
        discussion: """
            With CONFIG, reads a Skynet config file: a Lua file of globals (thread, start, \
            bootstrap, lua_path, luaservice, lualoader, lua_cpath, preload, logger, harbor, and \
            any key of your own), where $NAME is replaced from the environment and \
            include "file" reads another config. Every value is readable with skynet.getenv.

            Without CONFIG, starts the service named by --start (default: main) found in the \
            --path folders (default: the current folder), e.g.

              skyhost --path examples/inject            # runs examples/inject/main.lua

            Options given on the command line override the config file. Skyhost's own lualib/ \
            and service/ folders are always searched after yours. The node runs until a \
            service calls skynet.abort() or the process is interrupted; the exit code is \
            non-zero when the config, the bootstrap or the start service fails.
            """)

    @Argument(help: "A Skynet-style config file.")
    var config: String?

    @Option(name: .long, help: "The service to start (config key 'start'; default: main).")
    var start: String?

    @Option(name: .long, help: "A folder of services and modules, searched first (repeatable).")
    var path: [String] = []

    @Option(name: .long, help: "Worker threads (config key 'thread'; default: the number of cores).")
    var thread: Int?

    @Option(name: .long, help: "Write the log to this file instead of standard output (config key 'logger').")
    var logger: String?

    @Option(name: .long, help: "Set any environment value, KEY=VALUE (repeatable).")
    var set: [String] = []

    @Option(name: .long, help: "Skyhost's folder holding lualib/ and service/ (default: $SKYHOST_ROOT or the build's source folder).")
    var root: String?

    mutating func run() throws {
        var configuration: NodeConfiguration
        do {
            let root = root ?? NodeConfiguration.defaultRoot
            if let config {
                configuration = try NodeConfiguration(contentsOfFile: config, root: root)
            } else {
                configuration = NodeConfiguration(root: root)
                if path.isEmpty { path = ["."] }
            }
        } catch {
            throw ValidationError("\(error)")
        }
        configuration.enableMySQL()
        var env = configuration.environment
        for folder in path.reversed() {
            let dir = folder.hasSuffix("/") ? String(folder.dropLast()) : folder
            env["luaservice"] = join("\(dir)/?.lua", env["luaservice"])
            env["lua_path"] = join("\(dir)/?.lua;\(dir)/?/init.lua", env["lua_path"])
        }
        if let start { env["start"] = start }
        if let thread {
            guard thread > 0 else { throw ValidationError("--thread must be at least 1") }
            env["thread"] = String(thread)
        }
        if let logger { env["logger"] = logger }
        for pair in set {
            guard let eq = pair.firstIndex(of: "="), eq != pair.startIndex else {
                throw ValidationError("--set takes KEY=VALUE, got '\(pair)'")
            }
            env[String(pair[..<eq])] = String(pair[pair.index(after: eq)...])
        }
        configuration.environment = env

        let startService = env["start"] ?? "main"
        guard configuration.findService(startService) != nil else {
            throw ValidationError("cannot find start service '\(startService)' in luaservice: \(configuration.servicePath)")
        }

        let node = Node(configuration: configuration)
        let stopSignal = StopSignals.install(stopping: node)
        do {
            try node.start()
        } catch {
            FileHandle.standardError.write(Data("skyhost: \(error)\n".utf8))
            throw ExitCode(1)
        }
        let status = node.wait()
        if status != 0 { throw ExitCode(status) }
        if let signal = stopSignal.received { throw ExitCode(128 + signal) }
    }

    private func join(_ first: String, _ rest: String?) -> String {
        guard let rest, !rest.isEmpty else { return first }
        return first + ";" + rest
    }
}
