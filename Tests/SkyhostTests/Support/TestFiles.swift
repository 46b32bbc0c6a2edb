import Foundation

/// The repository's top folder (Tests/SkyhostTests/Support/TestFiles.swift -> ../../..).
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().path

/// The text of one of a suite's Lua files: `path` is relative to the `lua` folder beside the
/// suite's source file (`#filePath` of the caller). A file that cannot be read gives a chunk that
/// raises with its path, so the test that needs it fails saying so.
func luaSource(_ path: String, file: String = #filePath) -> String {
    let full = URL(fileURLWithPath: file).deletingLastPathComponent().path + "/lua/" + path
    guard let text = try? String(contentsOfFile: full, encoding: .utf8) else {
        return "error([[cannot read the test's Lua file \(full)]], 0)\n"
    }
    return text
}
