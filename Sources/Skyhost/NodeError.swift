/// Errors a node reports to its host.
public enum NodeError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The config file could not be read or run.
    case badConfig(String)
    /// The log file named by `logger` could not be opened.
    case cannotOpenLog(String)
    /// `start()` was called twice, or after shutdown.
    case alreadyStarted
    /// The bootstrap service could not be launched.
    case bootstrapFailed(String)

    /// A readable explanation.
    public var description: String {
        switch self {
        case .badConfig(let why): return "bad config: \(why)"
        case .cannotOpenLog(let path): return "cannot open log file \(path)"
        case .alreadyStarted: return "the node has already been started"
        case .bootstrapFailed(let why): return "bootstrap failed: \(why)"
        }
    }
}
