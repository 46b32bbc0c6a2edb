import CSkyhostNative
import Glibc
import Synchronization

/// The node's ready queue and its worker threads (Skynet's global queue and `thread_worker`).
///
/// A service is in the ready queue, or held by exactly one worker, whenever its mailbox is not
/// idle (see `Mailbox`). A worker takes a service, runs a batch of its messages, and keeps it if
/// no other service is waiting, so a busy pair of services costs no queue traffic.
final class Scheduler: @unchecked Sendable {
    private let lock = ConditionLock()
    private var ready: [Service?]
    private var head = 0
    private var count = 0
    private var sleeping = 0
    /// Set by `stop()` under the lock (so that a worker about to sleep sees it), and read without
    /// it by a worker after every batch.
    private let stopFlag = Atomic<Bool>(false)
    /// Workers looking for work without sleeping; a push wakes a sleeper only when none spins.
    private let spinning = Atomic<Int>(0)
    private let queued = Atomic<Int>(0)
    private var threads: [JoinableThread] = []
    private var activities: [WorkerActivity] = []
    /// Work that waits for a free moment (see `start`).
    private var idleWork: @Sendable () -> Bool = { false }

    /// Messages a worker takes from one service before it looks at the others.
    static let batchLimit = 32
    /// Services a worker runs in a row through its `next` slot before it lets the ready queue in.
    static let handoffLimit = 16

    init() {
        ready = Array(repeating: nil, count: 64)
    }

    /// Puts a service whose mailbox just became non-idle into the ready queue.
    func schedule(_ service: Service) {
        lock.lock()
        if stopFlag.load(ordering: .relaxed) {
            // The node is shutting down and closes every service itself; one kept here would
            // keep its node alive (the node holds this queue).
            lock.unlock()
            return
        }
        if count == ready.count { grow() }
        ready[(head + count) & (ready.count - 1)] = service
        count += 1
        queued.store(count, ordering: .relaxed)
        let wake = sleeping > 0 && spinning.load(ordering: .relaxed) == 0
        lock.unlock()
        if wake { lock.signal() }
    }

    private func grow() {
        var bigger = [Service?](repeating: nil, count: ready.count * 2)
        for i in 0..<count { bigger[i] = ready[(head + i) & (ready.count - 1)] }
        ready = bigger
        head = 0
    }

    private func takeLocked() -> Service? {
        guard count > 0 else { return nil }
        let s = ready[head]
        ready[head] = nil
        head = (head + 1) & (ready.count - 1)
        count -= 1
        queued.store(count, ordering: .relaxed)
        return s
    }

    /// A waiting service, if any, without blocking.
    func poll() -> Service? {
        if queued.load(ordering: .relaxed) == 0 { return nil }
        lock.lock()
        defer { lock.unlock() }
        return takeLocked()
    }

    /// The next service for `worker` to run; blocks until there is one. Nil once the scheduler
    /// is stopped.
    func next(for worker: Int) -> Service? {
        // Spin briefly before sleeping: a message usually arrives within microseconds when
        // services talk to each other, and a futex sleep/wake pair costs more than that. Late in
        // the spin, take a service waiting in another worker's `next` slot.
        while queued.load(ordering: .relaxed) == 0 && !stopRequested && idleWork() {}
        spinning.add(1, ordering: .relaxed)
        for i in 0..<4000 {
            if queued.load(ordering: .relaxed) > 0 || (i & 255 == 255 && stopRequested) { break }
            if i >= 1000, i & 63 == 0, let stolen = steal(except: worker) {
                spinning.subtract(1, ordering: .relaxed)
                return stolen
            }
            skyhost_cpu_relax()
        }
        spinning.subtract(1, ordering: .relaxed)
        while true {
            lock.lock()
            if stopFlag.load(ordering: .relaxed) {
                lock.unlock()
                return nil
            }
            if let s = takeLocked() {
                lock.unlock()
                return s
            }
            // A timed sleep, so that a service left in a busy worker's slot waits 10 ms at most.
            sleeping += 1
            lock.wait(untilMonotonicNanoseconds: monotonicNanoseconds() + 10_000_000)
            sleeping -= 1
            lock.unlock()
            if let stolen = steal(except: worker) { return stolen }
        }
    }

    private func steal(except worker: Int) -> Service? {
        for (i, activity) in activities.enumerated() where i != worker {
            if let s = activity.takeNext() { return s }
        }
        return nil
    }

    /// True once `stop()` was called: a worker drops the service it runs and returns.
    var stopRequested: Bool { stopFlag.load(ordering: .acquiring) }

    /// Starts one worker per activity, running `body(index)` (which loops on `next(for:)`). A
    /// worker that finds nothing queued first calls `idleWork` until it returns false (it did
    /// nothing) or a service is queued; each call should be short (tens of microseconds).
    func start(
        workers: [WorkerActivity], idleWork: @escaping @Sendable () -> Bool,
        body: @escaping @Sendable (Int) -> Void
    ) {
        self.idleWork = idleWork
        activities = workers
        for i in 0..<workers.count {
            threads.append(JoinableThread { body(i) })
        }
    }

    /// Stops the workers after their current batch and waits for them, then lets go of the
    /// services still waiting (in the queue or a worker's slot): they hold the node, which
    /// holds the scheduler, and the node's shutdown closes them all anyway.
    func stop() {
        lock.withLock { stopFlag.store(true, ordering: .releasing) }
        lock.broadcast()
        for t in threads { t.join() }
        threads.removeAll()
        lock.withLock { while takeLocked() != nil {} }
        for activity in activities { _ = activity.takeNext() }
    }
}
