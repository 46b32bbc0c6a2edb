import Synchronization

/// Skynet's monitor thread: every few seconds, a worker still running the same message as at
/// the last check is reported as `maybe in an endless loop`, and its service's `endless` flag is
/// set (readable with `skynet.stat "endless"` and the console's `stat`).
final class Monitor: @unchecked Sendable {
    private let lock = ConditionLock()
    private var stopped = false
    private var thread: JoinableThread?
    private let interval: UInt64

    init(intervalNanoseconds: UInt64 = 5_000_000_000) {
        interval = intervalNanoseconds
    }

    func start(workers: [WorkerActivity], node: Node) {
        thread = JoinableThread { [self, unowned node] in
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
                        node.log(
                            source: 0,
                            "A message from [ \(ServiceAddress.format(source)) ] to [ \(ServiceAddress.format(destination)) ] maybe in an endless loop (version = \(version))"
                        )
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
