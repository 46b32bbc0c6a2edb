import Glibc
import Logging
import Synchronization

/// Where a node writes its log lines (`skynet.error`, the logger service) and what Lua's `print`
/// writes. By default both go to the process's standard output, as Skynet's do.
public struct NodeOutput: Sendable {
    /// Receives each log line, without the trailing newline: `[:0000000a] text`.
    public var log: @Sendable (String) -> Void
    /// Receives the text of each Lua `print` call, newline included.
    public var print: @Sendable (String) -> Void

    /// Creates an output from two handlers.
    public init(log: @escaping @Sendable (String) -> Void, print: @escaping @Sendable (String) -> Void) {
        self.log = log
        self.print = print
    }

    /// Both to standard output, one write per line so that lines of different threads never mix.
    public static let standard = NodeOutput(
        log: { line in writeStandardOutput(line + "\n") },
        print: { text in writeStandardOutput(text) }
    )
}

// A plain lock: a `Locked<()>` here made ThreadSanitizer report an access race on its empty value.
private let standardOutputLock = Lock()

func writeStandardOutput(_ text: String) {
    standardOutputLock.withLock {
        var t = text
        t.withUTF8 { buf in
            var offset = 0
            while offset < buf.count {
                let n = Glibc.write(1, buf.baseAddress! + offset, buf.count - offset)
                if n <= 0 { break }
                offset += n
            }
        }
    }
}

extension NodeOutput {
    /// Routes the node's log lines (`skynet.error`, launches, errors) and Lua `print` output to
    /// a swift-log `Logger`: log lines at `logLevel` with the service address as metadata
    /// (`service`), printed text at `printLevel`.
    public static func logging(to logger: Logger, logLevel: Logger.Level = .info, printLevel: Logger.Level = .info) -> NodeOutput {
        NodeOutput(
            log: { line in
                // "[:0000000a] text" -> metadata service=:0000000a, message text
                if line.hasPrefix("["), let close = line.firstIndex(of: "]") {
                    let address = String(line[line.index(after: line.startIndex)..<close])
                    let text = line[line.index(after: close)...].drop { $0 == " " }
                    logger.log(level: logLevel, "\(text)", metadata: ["service": "\(address)"])
                } else {
                    logger.log(level: logLevel, "\(line)")
                }
            },
            print: { text in
                var t = Substring(text)
                if t.hasSuffix("\n") { t = t.dropLast() }
                logger.log(level: printLevel, "\(t)", metadata: ["source": "print"])
            })
    }
}
