/// Every error Skyhost's Swift API throws: starting a node, and talking to its services.
public enum SkyhostError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The config file could not be read or run; the reason names the file and the line.
    case badConfig(String)
    /// The log file named by the config key `logger` could not be opened.
    case cannotOpenLog(String)
    /// `start()` was called twice, or after shutdown.
    case alreadyStarted
    /// The node failed while booting: the bootstrap could not be launched, or the start service
    /// is missing or raised in its start function.
    case bootstrapFailed(String)
    /// No live service at that address or name.
    case invalidAddress(String)
    /// The service raised while handling the call, or died before answering (Skynet's
    /// `call failed`); the reason is in the node's log.
    case callFailed(String)
    /// A value could not be encoded or decoded (a table nested too deep, a Lua function...).
    case unsupportedValue(String)
    /// The node is not running (never started, or shut down while the call was in flight).
    case nodeStopped
    /// An inject or reload ran and failed; the message is what the service reported.
    case hotfixFailed(String)
    /// The service could not be launched (not found, or its start function raised).
    case launchFailed(String)
    /// A rollback could not be done (fewer patches than asked, not the last patch, or a
    /// module's state could not be moved back); the message says what was done before.
    case rollbackFailed(String)

    /// A readable explanation.
    public var description: String {
        switch self {
        case .badConfig(let why): return "bad config: \(why)"
        case .cannotOpenLog(let path): return "cannot open log file \(path)"
        case .alreadyStarted: return "the node has already been started"
        case .bootstrapFailed(let why): return "bootstrap failed: \(why)"
        case .invalidAddress(let a): return "invalid address \(a)"
        case .callFailed(let what): return "call failed: \(what)"
        case .unsupportedValue(let why): return "unsupported value: \(why)"
        case .nodeStopped: return "the node is not running"
        case .hotfixFailed(let why): return "hotfix failed: \(why)"
        case .launchFailed(let why): return "launch failed: \(why)"
        case .rollbackFailed(let why): return "rollback failed: \(why)"
        }
    }
}
