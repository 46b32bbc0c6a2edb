import Foundation
import Synchronization

/// A service's message log, as Skynet's `logon` console command makes it: every message the
/// service receives is appended to `<logpath>/<handle>.log` as
/// `:source type session time hex-payload`.
final class MessageLog: @unchecked Sendable {
    private let file: FileHandle
    private let node: Node
    let path: String

    /// Opens the log of `handle` under the node's `logpath`; nil (with the reason logged) when
    /// `logpath` is not set or the file cannot be opened.
    init?(node: Node, handle: UInt32, by source: UInt32) {
        guard let logpath = node.getenv("logpath") else {
            node.log(source: source, "logon needs the config value logpath")
            return nil
        }
        let hex = ServiceAddress.format(handle).dropFirst()
        path = "\(logpath)/\(hex).log"
        if !FileManager.default.fileExists(atPath: path) {
            _ = FileManager.default.createFile(atPath: path, contents: nil)
        }
        guard let file = FileHandle(forWritingAtPath: path) else {
            node.log(source: source, "Open log file \(path) fail")
            return nil
        }
        file.seekToEndOfFile()
        self.file = file
        self.node = node
        node.log(source: source, "Open log file \(path)")
        file.write(Data("open time: \(node.now()) \(Date())\n".utf8))
    }

    func record(_ m: Message) {
        var line = "\(ServiceAddress.format(m.source)) \(m.type) \(m.session) \(node.now()) "
        if let data = m.data {
            line += String(decoding: hexDigits(of: UnsafeRawBufferPointer(start: data, count: m.size)), as: UTF8.self)
        }
        file.write(Data((line + "\n").utf8))
    }

    func close(by source: UInt32) {
        file.write(Data("close time: \(node.now())\n".utf8))
        try? file.close()
        node.log(source: source, "Close log file \(path)")
    }
}
