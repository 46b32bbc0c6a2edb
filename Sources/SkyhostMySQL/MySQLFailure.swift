import CMariaDB

/// A failed statement or connection, as the server (or Connector/C) reports it.
struct MySQLFailure: Error, CustomStringConvertible {
    /// The MySQL error number (0 for the driver's own errors).
    var code: UInt32
    /// The server's (or the driver's) message.
    var message: String
    /// The five-character SQLSTATE.
    var sqlState: String
    /// For a call holding several statements: the 1-based position of the one that failed.
    var statement: Int = 1

    /// The error as the log shows it.
    var description: String { "mysql error \(code) (\(sqlState)): \(message)" }

    /// Errors after which the connection is not used again: Connector/C's own errors
    /// (2000-2999: connection refused, server gone, lost during a query, out of sync ...) and the
    /// server's "shutdown in progress", "connection killed", "disconnected for inactivity".
    var dropsConnection: Bool {
        (2000...2999).contains(code) || code == 1053 || code == 1927 || code == 4031
    }

    /// The statement was never sent (the connection was already gone when it was written), so
    /// running it again on a new connection cannot apply it twice.
    var notSent: Bool { code == UInt32(CR_SERVER_GONE_ERROR) }
}
