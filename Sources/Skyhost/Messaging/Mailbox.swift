/// A service's message queue (Skynet's `message_queue`).
///
/// The mailbox also records whether its service sits in the node's ready queue (or is being run
/// by a worker): a push into an idle mailbox is what schedules the service, and a worker that
/// finds the mailbox empty marks it idle, both under the mailbox's lock, so a service is never
/// queued twice and never run by two workers at once.
final class Mailbox: @unchecked Sendable {
    private struct State {
        var ring: UnsafeMutablePointer<Message>
        var capacity: Int
        var head = 0
        var count = 0
        var scheduled = false
        var closed = false
        var overloadThreshold = Mailbox.overloadThreshold
        var overloadReport = 0

        init(capacity: Int) {
            self.capacity = capacity
            ring = .allocate(capacity: capacity)
        }

        mutating func append(_ m: Message) {
            if count == capacity { grow() }
            ring[(head + count) & (capacity - 1)] = m
            count += 1
        }

        mutating func grow() {
            let bigger = UnsafeMutablePointer<Message>.allocate(capacity: capacity * 2)
            for i in 0..<count { bigger[i] = ring[(head + i) & (capacity - 1)] }
            ring.deallocate()
            ring = bigger
            head = 0
            capacity *= 2
        }

        /// The mailbox is empty: no longer scheduled, the overload threshold back at its start,
        /// and after a burst the big ring goes back (an idle service keeps a small one).
        mutating func becomeIdle() {
            scheduled = false
            overloadThreshold = Mailbox.overloadThreshold
            guard capacity > 1024 else { return }
            ring.deallocate()
            capacity = Mailbox.initialCapacity
            ring = .allocate(capacity: capacity)
            head = 0
        }

        mutating func prepend(_ messages: [Message]) {
            while count + messages.count > capacity { grow() }
            head = (head - messages.count) & (capacity - 1)
            for (i, m) in messages.enumerated() { ring[(head + i) & (capacity - 1)] = m }
            count += messages.count
        }

        mutating func removeFirst() -> Message {
            let m = ring[head]
            head = (head + 1) & (capacity - 1)
            count -= 1
            return m
        }

        /// Takes the first message for its service, and measures the queue it leaves as
        /// Skynet's `skynet_mq_pop` does: a length past the threshold is reported and doubles
        /// the threshold, so a growing backlog is reported at 1024, 2048, 4096... waiting messages.
        mutating func take() -> Message {
            let m = removeFirst()
            while count > overloadThreshold {
                overloadReport = count
                overloadThreshold *= 2
            }
            return m
        }
    }

    /// Ring slots of a new mailbox (a power of two). Small, because most services idle most of
    /// the time (an idle service's ring is part of what it costs); the ring doubles as needed.
    static let initialCapacity = 4

    /// Waiting messages past which a service's queue is first reported as overloaded
    /// (Skynet's `MQ_OVERLOAD`).
    static let overloadThreshold = 1024

    private let lock = Lock()
    private var s = State(capacity: Mailbox.initialCapacity)

    deinit { s.ring.deallocate() }

    /// The result of a push.
    enum PushResult {
        /// Queued; the service was idle and must now be put in the ready queue.
        case schedule
        /// Queued; the service is already scheduled or running.
        case queued
        /// Not queued: the service has retired. The caller still owns the message.
        case closed
    }

    func push(_ m: Message) -> PushResult {
        lock.withLock {
            if s.closed { return .closed }
            s.append(m)
            if s.scheduled { return .queued }
            s.scheduled = true
            return .schedule
        }
    }

    /// Takes up to `limit` messages into `batch` (cleared first). Marks the mailbox idle and
    /// returns false when it is empty. `overload` receives the queue length that passed the
    /// overload threshold as the batch was taken, or 0.
    func popBatch(into batch: inout [Message], limit: Int, overload: inout Int) -> Bool {
        batch.removeAll(keepingCapacity: true)
        return lock.withLock {
            if s.count == 0 {
                s.becomeIdle()
                overload = 0
                return false
            }
            let n = min(limit, s.count)
            for _ in 0..<n { batch.append(s.take()) }
            overload = s.overloadReport
            s.overloadReport = 0
            return true
        }
    }

    /// Called by the worker after a batch: marks the mailbox idle and returns false if it is
    /// empty; true if messages are waiting (the service stays claimed).
    func finishBatch() -> Bool {
        lock.withLock {
            if s.count > 0 { return true }
            s.becomeIdle()
            return false
        }
    }

    /// Claims an idle mailbox's service for the caller, as a worker holds a scheduled one: true
    /// if it was idle (not queued, not running, not closed); from then on pushes only queue.
    func claimIfIdle() -> Bool {
        lock.withLock {
            if s.scheduled || s.closed { return false }
            s.scheduled = true
            return true
        }
    }

    /// Puts messages back at the head of the queue, in their order (what a reload in place held
    /// back). For the worker that owns the service, which stays claimed. Returns the messages
    /// when the mailbox has closed (the caller still owns them), else nothing.
    func putBack(_ messages: [Message]) -> [Message] {
        guard !messages.isEmpty else { return [] }
        return lock.withLock {
            if s.closed { return messages }
            s.prepend(messages)
            return []
        }
    }

    /// Closes the mailbox and returns what was left in it. Later pushes report `.closed`.
    func close() -> [Message] {
        lock.withLock {
            s.closed = true
            var left: [Message] = []
            left.reserveCapacity(s.count)
            while s.count > 0 { left.append(s.removeFirst()) }
            return left
        }
    }

    /// Number of queued messages.
    var count: Int { lock.withLock { s.count } }

}
