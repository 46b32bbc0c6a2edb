import Foundation
import Synchronization

/// While a node stops: after a grace period, interrupts (Skynet's `signal 0`) every service still
/// running a message, again and again until `finish()`, so that a service in an endless loop
/// cannot keep its worker, and the node's shutdown, waiting for ever.
final class BusyServiceInterrupter: Sendable {
    /// How long a service may go on with its message before it is interrupted.
    static let graceNanoseconds: UInt64 = 1_000_000_000
    /// How often the services are looked at.
    static let pollMicroseconds: UInt32 = 20_000

    private let running = Atomic<Bool>(true)
    private let done = ConditionLock()
    private let exited = Atomic<Bool>(false)

    /// Starts watching the services of `handles` on a thread of its own.
    init(handles: HandleTable) {
        Thread.detachNewThread { [self] in
            let start = monotonicNanoseconds()
            while running.load(ordering: .acquiring) {
                usleep(Self.pollMicroseconds)
                let now = monotonicNanoseconds()
                guard now - start >= Self.graceNanoseconds else { continue }
                for service in handles.all() {
                    let since = service.busySince.load(ordering: .relaxed)
                    if since != 0 && now - since >= Self.graceNanoseconds {
                        service.signalTarget.withLock { $0?.signal() }
                    }
                }
            }
            done.withLock {
                exited.store(true, ordering: .releasing)
                done.broadcast()
            }
        }
    }

    /// Stops watching; returns once the watching thread has ended.
    func finish() {
        running.store(false, ordering: .releasing)
        done.withLock {
            while !exited.load(ordering: .acquiring) { done.wait() }
        }
    }
}
