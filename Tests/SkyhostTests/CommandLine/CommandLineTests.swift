import Foundation
import Testing

/// `skyhost CONFIG` and `skyhost --path DIR`, run as a user runs them.
@Suite struct CommandLineTests {
    struct Run {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// The built `skyhost` beside the test bundle.
    static var binary: String {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: dir.appendingPathComponent("skyhost").path), dir.path != "/" {
            dir.deleteLastPathComponent()
        }
        return dir.appendingPathComponent("skyhost").path
    }

    func run(_ arguments: [String], in directory: String? = nil) throws -> Run {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(
            status: process.terminationStatus,
            stdout: String(decoding: stdout, as: UTF8.self),
            stderr: String(decoding: stderr, as: UTF8.self))
    }

    static let aborting = luaSource("aborting.lua")

    @Test func runsAConfigFileLikeSkynet() throws {
        let folder = try ServiceFolder([
            "svc/main.lua": Self.aborting,
            "node.config": """
            thread = 3
            start = "main"
            luaservice = "./svc/?.lua"
            greeting = "hello $SKYHOST_CLI_TEST"
            """,
        ])
        setenv("SKYHOST_CLI_TEST", "world", 1)
        let result = try run(["node.config"], in: folder.path)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("[:00000008] greeting hello world 3 \n"))
        #expect(result.stdout.contains("[:00000008] LAUNCH snlua main\n"))
    }

    @Test func runsAFolderWithoutConfig() throws {
        let folder = try ServiceFolder(["main.lua": Self.aborting])
        let result = try run(["--path", folder.path, "--set", "greeting=hi", "--thread", "1"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("[:00000008] greeting hi 1 \n"))
    }

    @Test func missingConfigFailsWithAClearMessage() throws {
        let result = try run(["/nonexistent/node.config"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("cannot read config file /nonexistent/node.config"))
    }

    @Test func brokenConfigFailsWithTheLine() throws {
        let folder = try ServiceFolder(["bad.config": "thread = \n = 2\n"])
        let result = try run(["bad.config"], in: folder.path)
        #expect(result.status != 0)
        #expect(result.stderr.contains("bad.config:2"))
    }

    @Test func brokenConfigsFailWithTheReasonAndNoTraceback() throws {
        let folder = try ServiceFolder([
            "loop.config": "include 'again.config'\n",
            "again.config": "include 'loop.config'\n",
            "value.config": "start = { 'main' }\n",
            "missing.config": "thread = 1\ninclude 'nothere.config'\n",
        ])
        try Data([0x9a, 0x00, 0xff, 0x10, 0x41, 0x0a, 0xfe]).write(to: URL(fileURLWithPath: folder.path + "/binary.config"))
        let cases = [
            "loop.config": "recursive include: loop.config includes ./again.config includes ./loop.config",
            "binary.config": "binary.config:1: ",
            "value.config": "config value start is a table (only strings, numbers and booleans)",
            "missing.config": "cannot open ./nothere.config: ./nothere.config: No such file or directory",
        ]
        for (file, reason) in cases {
            let result = try run([file], in: folder.path)
            #expect(result.status != 0, "\(file)")
            #expect(result.stderr.contains("bad config: " + reason), "\(file): \(result.stderr)")
            #expect(!result.stderr.contains("traceback"), "\(file): \(result.stderr)")
            #expect(result.stdout.isEmpty, "\(file): nothing started")
        }
    }

    @Test func missingStartServiceFailsBeforeStarting() throws {
        let folder = try ServiceFolder(["other.lua": "return"])
        let result = try run(["--path", folder.path, "--start", "nothere"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("cannot find start service 'nothere'"))
    }

    @Test func startServiceThatRaisesStopsTheNodeWithAFailure() throws {
        let folder = try ServiceFolder(["main.lua": luaSource("startServiceThatRaisesStopsTheNodeWithAFailure/main.lua")])
        let result = try run(["--path", folder.path])
        #expect(result.status != 0)
        #expect(result.stdout.contains("bad start"))
    }

    @Test func helpExplainsTheOptions() throws {
        let result = try run(["--help"])
        #expect(result.status == 0)
        for word in ["--start", "--path", "--thread", "--logger", "--set", "skynet.getenv", "include"] {
            #expect(result.stdout.contains(word), "\(word)")
        }
    }

    @Test func sigtermStopsTheNodeCleanly() throws {
        let folder = try ServiceFolder(["main.lua": luaSource("sigtermStopsTheNodeCleanly/main.lua")])
        let node = try NodeProcess(["--path", folder.path], in: folder.path)
        defer { node.stop() }
        _ = try node.waitFor("ready") { $0.hasSuffix("[:00000008] ready") }
        node.send(SIGTERM)
        _ = try node.waitFor("the end of the output") { $0 == "<EOF>" }
        #expect(node.terminationStatus == 128 + SIGTERM)
    }
}
