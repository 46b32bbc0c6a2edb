/// Where and how a driver connects: the options of `mysql.open`, which `service/mysql_mgr.lua`
/// takes from the node's config.
struct MySQLSettings: Sendable, CustomStringConvertible {
    /// The server's host name or address.
    var host = "127.0.0.1"
    /// The server's TCP port.
    var port: UInt32 = 3306
    /// A unix socket path; when set it is used instead of host and port.
    var socket: String?
    /// The account.
    var user = "root"
    /// The account's password; nil or empty for none.
    var password: String?
    /// The default database; nil for none.
    var database: String?
    /// The connection's character set.
    var charset = "utf8mb4"
    /// Seconds to wait for a connection (and for the server's greeting).
    var connectTimeout: UInt32 = 5
    /// Threads, each with its own connection: how many statements run at once.
    var pool = 2

    /// `user@host:port/database` (never the password), for the log.
    var description: String {
        let target = socket.map { "unix:\($0)" } ?? "\(host):\(port)"
        return "\(user)@\(target)/\(database ?? "")"
    }
}
