import Synchronization

/// One worker's state shared with other threads: the message it runs and a counter that moves
/// with every message (for the monitor), and its `next` slot.
///
/// `next` holds a service that the worker's own running service just made ready (Go's
/// "runnext"): the worker runs it as soon as its current batch ends, so a pair of services
/// calling each other stays on one core instead of bouncing between two. Idle workers steal from
/// the slot, so a service never waits there for long.
final class WorkerActivity: Sendable {
    /// Moves with every message the worker starts.
    let version = Atomic<UInt64>(0)
    /// The sender of the message the worker runs.
    let source = Atomic<UInt32>(0)
    /// The service the worker runs a message of, or 0 between messages.
    let destination = Atomic<UInt32>(0)
    /// A retained `Service` pointer, or 0.
    private let next = Atomic<UInt>(0)

    /// Puts a just-scheduled service in the slot; false (the caller must queue it) if taken.
    func offerNext(_ service: Service) -> Bool {
        let bits = UInt(bitPattern: Unmanaged.passRetained(service).toOpaque())
        if next.compareExchange(expected: 0, desired: bits, ordering: .acquiringAndReleasing).exchanged {
            return true
        }
        Unmanaged<Service>.fromOpaque(UnsafeRawPointer(bitPattern: bits)!).release()
        return false
    }

    /// Takes the service in the slot (the owner, or a thief).
    func takeNext() -> Service? {
        if next.load(ordering: .relaxed) == 0 { return nil }
        let bits = next.exchange(0, ordering: .acquiringAndReleasing)
        guard bits != 0, let p = UnsafeRawPointer(bitPattern: bits) else { return nil }
        return Unmanaged<Service>.fromOpaque(p).takeRetainedValue()
    }

    /// The worker starts a message from `source` to `destination`.
    @inline(__always)
    func begin(source: UInt32, destination: UInt32) {
        self.source.store(source, ordering: .relaxed)
        self.destination.store(destination, ordering: .relaxed)
        version.add(1, ordering: .releasing)
    }

    /// The worker is done with its message.
    @inline(__always)
    func end() {
        destination.store(0, ordering: .relaxed)
    }
}
