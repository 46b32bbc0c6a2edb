import Foundation

/// Skynet's `logger` service (`:00000001`): prints every text message it receives as
/// `[:0000000a] text`, to the node's output or, when the config names a file, to that file.
final class LoggerService: ServiceBody {
    private let output: NodeOutput
    private let file: FileHandle?

    init(output: NodeOutput, path: String?) throws {
        self.output = output
        if let path {
            if !FileManager.default.fileExists(atPath: path) {
                guard FileManager.default.createFile(atPath: path, contents: nil) else {
                    throw SkyhostError.cannotOpenLog(path)
                }
            }
            guard let handle = FileHandle(forWritingAtPath: path) else { throw SkyhostError.cannotOpenLog(path) }
            handle.seekToEndOfFile()
            file = handle
        } else {
            file = nil
        }
    }

    func dispatch(_ message: Message, in service: Service) {
        let text: String
        if let data = message.data, message.size > 0 {
            text = String(decoding: UnsafeRawBufferPointer(start: data, count: message.size), as: UTF8.self)
        } else {
            text = ""
        }
        write("[\(ServiceAddress.format(message.source))] \(text)")
        service.node.refuseRequest(message, at: service)
    }

    private func write(_ line: String) {
        if let file {
            file.write(Data((line + "\n").utf8))
        } else {
            output.log(line)
        }
    }

    func close(_ service: Service) {
        try? file?.close()
    }
}
