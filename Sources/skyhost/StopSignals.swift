import Foundation
import Skyhost

/// SIGINT and SIGTERM stop the node cleanly (every service closed, the log flushed) instead of
/// killing the process mid-message; SIGPIPE is ignored (a console client that goes away must not
/// kill the node).
final class StopSignals: @unchecked Sendable {
    private let lock = NSLock()
    private var signal: Int32?

    /// The signal that stopped the node, if one did.
    var received: Int32? { lock.withLock { signal } }

    static func install(stopping node: Node) -> StopSignals {
        let me = StopSignals()
        Foundation.signal(SIGPIPE, SIG_IGN)
        // A parent may have started us with signals blocked (the mask is inherited): start from
        // a clean mask, then block the stop signals in every thread but the one that waits.
        var set = sigset_t()
        sigemptyset(&set)
        pthread_sigmask(SIG_SETMASK, &set, nil)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        pthread_sigmask(SIG_BLOCK, &set, nil)
        let waitSet = set
        Thread.detachNewThread {
            var wanted = waitSet
            var number: Int32 = 0
            guard sigwait(&wanted, &number) == 0 else { return }
            me.lock.withLock { me.signal = number }
            node.shutdown()
        }
        return me
    }
}
