/// Errors of the Swift API.
public enum SkyhostError: Error, Sendable, Equatable, CustomStringConvertible {
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
