/// The node's timer (Skynet's timer thread): `skynet.timeout(ti)` delivers a RESPONSE message
/// with the timer's session from source 0 after `ti` centiseconds.
final class TimerQueue: @unchecked Sendable {
    private struct Entry {
        var deadline: UInt64  // monotonic ns
        var sequence: UInt64  // keeps equal deadlines in order
        var handle: UInt32
        var session: Int32
        func fires(before other: Entry) -> Bool {
            deadline != other.deadline ? deadline < other.deadline : sequence < other.sequence
        }
    }

    private let lock = ConditionLock()
    private var heap: [Entry] = []
    private var sequence: UInt64 = 0
    private var stopped = false
    private var thread: JoinableThread?
    private let fire: @Sendable (UInt32, Int32) -> Void

    /// `fire(handle, session)` runs on the timer thread when an entry is due.
    init(fire: @escaping @Sendable (UInt32, Int32) -> Void) {
        self.fire = fire
    }

    func start() {
        thread = JoinableThread { [self] in run() }
    }

    func stop() {
        lock.withLock { stopped = true }
        lock.signal()
        thread?.join()
        thread = nil
    }

    /// Schedules `session` for `handle` after `centiseconds`.
    func add(handle: UInt32, session: Int32, centiseconds: Int) {
        let deadline = monotonicNanoseconds() + UInt64(centiseconds) * 10_000_000
        lock.lock()
        sequence += 1
        let entry = Entry(deadline: deadline, sequence: sequence, handle: handle, session: session)
        heap.append(entry)
        siftUp(heap.count - 1)
        let isFirst = heap[0].sequence == entry.sequence
        lock.unlock()
        if isFirst { lock.signal() }
    }

    private func run() {
        lock.lock()
        while !stopped {
            guard let first = heap.first else {
                lock.wait()
                continue
            }
            let now = monotonicNanoseconds()
            if first.deadline > now {
                lock.wait(untilMonotonicNanoseconds: first.deadline)
                continue
            }
            var due: [Entry] = []
            while let top = heap.first, top.deadline <= now {
                due.append(popFirst())
            }
            lock.unlock()
            for entry in due { fire(entry.handle, entry.session) }
            lock.lock()
        }
        lock.unlock()
    }

    private func popFirst() -> Entry {
        let first = heap[0]
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            siftDown(0)
        }
        return first
    }

    private func siftUp(_ i: Int) {
        var child = i
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].fires(before: heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private func siftDown(_ i: Int) {
        var parent = i
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var first = parent
            if left < heap.count && heap[left].fires(before: heap[first]) { first = left }
            if right < heap.count && heap[right].fires(before: heap[first]) { first = right }
            if first == parent { return }
            heap.swapAt(parent, first)
            parent = first
        }
    }
}
