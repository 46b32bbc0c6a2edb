import Synchronization

/// One worker's state shared with other threads: the message it runs and a counter that moves
/// with every message (for the monitor), and its `next` slot.
///
/// `next` holds a service that the worker's own running service just made ready (Go's
/// "runnext"): the worker runs it as soon as its current batch ends, so a pair of services
/// calling each other stays on one core instead of bouncing between two. Idle workers steal from
/// the slot, so a service never waits there for long.
final class WorkerActivity: Sendable {
    let version = Atomic<UInt64>(0)
    let source = Atomic<UInt32>(0)
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

    @inline(__always)
    func begin(source: UInt32, destination: UInt32) {
        self.source.store(source, ordering: .relaxed)
        self.destination.store(destination, ordering: .relaxed)
        version.add(1, ordering: .releasing)
    }

    @inline(__always)
    func end() {
        destination.store(0, ordering: .relaxed)
    }
}

/// Skynet's monitor thread: every few seconds, a worker still running the same message as at
/// the last check is reported as `maybe in an endless loop`, and its service's `endless` flag is
/// set (readable with `skynet.stat "endless"` and the console's `stat`).
final class Monitor: @unchecked Sendable {
    private let lock = ConditionLock()
    private var stopped = false
    private var thread: WorkerThread?
    private let interval: UInt64

    init(intervalNanoseconds: UInt64 = 5_000_000_000) {
        interval = intervalNanoseconds
    }

    func start(workers: [WorkerActivity], node: Node) {
        thread = WorkerThread(name: "skyhost-monitor") { [self, unowned node] in
            var seen = [UInt64](repeating: 0, count: workers.count)
            lock.lock()
            while !stopped {
                lock.wait(untilMonotonicNanoseconds: monotonicNanoseconds() + interval)
                if stopped { break }
                lock.unlock()
                for (i, w) in workers.enumerated() {
                    let version = w.version.load(ordering: .acquiring)
                    let destination = w.destination.load(ordering: .relaxed)
                    if version == seen[i], destination != 0 {
                        let source = w.source.load(ordering: .relaxed)
                        node.handles.lookup(destination)?.endless.store(true, ordering: .relaxed)
                        node.log(source: 0, "A message from [ \(ServiceAddress.format(source)) ] to [ \(ServiceAddress.format(destination)) ] maybe in an endless loop (version = \(version))")
                    }
                    seen[i] = version
                }
                lock.lock()
            }
            lock.unlock()
        }
    }

    func stop() {
        lock.withLock { stopped = true }
        lock.signal()
        thread?.join()
        thread = nil
    }
}
