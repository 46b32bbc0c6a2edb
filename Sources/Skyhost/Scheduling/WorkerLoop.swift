import Synchronization

/// The worker threads' loop: Skynet's skynet_context_message_dispatch. A worker takes a ready
/// service, runs a batch of its messages on its Lua state (or Swift body), and hands the service
/// back to the ready queue if more are waiting.
extension Node {
    /// The loop of worker `index`: takes a ready service (from its `next` slot first, then the
    /// ready queue), runs a batch of its messages, and goes on until the scheduler stops.
    func workerLoop(_ index: Int, _ activity: WorkerActivity) {
        smallBlocks.attachCurrentThread()
        defer { SmallBlockPool.detachCurrentThread() }
        var batch: [Message] = []
        batch.reserveCapacity(Scheduler.batchLimit)
        var current = scheduler.next(for: index)
        // Hand-offs through the `next` slot in a row: a pair of services calling each other could
        // otherwise keep the worker for ever while the ready queue waits.
        var handoffs = 0
        while let service = current {
            let more = run(service, batch: &batch, activity: activity)
            // Stopping: leave the service (shutdown closes it), even if it has more to do -- a
            // service that keeps sending itself messages would otherwise keep the worker for ever.
            if scheduler.stopRequested { break }
            if var readied = activity.takeNext() {
                if more { scheduler.schedule(service) }
                handoffs += 1
                if handoffs >= Scheduler.handoffLimit, let waiting = scheduler.poll() {
                    scheduler.schedule(readied)
                    readied = waiting
                    handoffs = 0
                }
                current = readied
            } else if !more {
                handoffs = 0
                current = scheduler.next(for: index)
            } else if let other = scheduler.poll() {
                handoffs = 0
                scheduler.schedule(service)
                current = other
            }
        }
        // Stopped: a service left in the slot is taken by Scheduler.stop() and closed with the
        // others by shutdown().
    }

    /// Runs one batch of a service's messages. Returns true if the service should keep running
    /// (its mailbox is still claimed), false if it went idle or retired.
    private func run(_ service: Service, batch: inout [Message], activity: WorkerActivity) -> Bool {
        var overload = 0
        let taken = service.mailbox.popBatch(into: &batch, limit: Scheduler.batchLimit, overload: &overload)
        if overload > 0 {
            log(source: service.handle, "May overload, message queue length = \(overload)")
        }
        guard taken else { return false }
        // Cleared again before the mailbox is released below: from then on another worker may
        // own the service.
        service.runningOn = activity
        for (i, message) in batch.enumerated() {
            if service.killed.load(ordering: .acquiring) || service.exitRequested {
                for m in batch[i...] { bounce(m, from: service) }
                service.runningOn = nil
                retire(service)
                return false
            }
            if message.type < 0 {  // the runtime's own: not a message of the service
                if message.type == Message.collectorType { (service.body as? LuaServiceBody)?.switchToGenerational() }
                continue
            }
            if (service.reload != nil || !service.staleSessions.isEmpty) && interceptForReload(message, of: service) {
                if let again = advanceReload(service) {
                    putBack(again + batch[(i + 1)...], into: service)
                    break
                }
                continue
            }
            let start = monotonicNanoseconds()
            service.busySince.store(start, ordering: .relaxed)
            if service.isLogging.load(ordering: .relaxed) {
                service.messageLog.withLock { $0?.record(message) }
            }
            activity.begin(source: message.source, destination: service.handle)
            service.body?.dispatch(message, in: service)
            activity.end()
            service.busySince.store(0, ordering: .relaxed)
            service.cpuNanoseconds &+= monotonicNanoseconds() - start
            service.messagesDispatched += 1
            message.release()
            if service.reload != nil, let again = advanceReload(service) {
                putBack(again + batch[(i + 1)...], into: service)
                break
            }
        }
        service.runningOn = nil
        if service.killed.load(ordering: .acquiring) || service.exitRequested {
            retire(service)
            return false
        }
        return service.mailbox.finishBatch()
    }

    /// Puts what a reload in place held (and the rest of the batch) back at the head of the
    /// mailbox, to be run again in order.
    private func putBack(_ messages: [Message], into service: Service) {
        for m in service.mailbox.putBack(messages) { bounce(m, from: service) }
    }

    /// Tells the sender of an undeliverable message that it failed (Skynet's drop_message).
    func bounce(_ m: Message, from service: Service) {
        m.release()
        guard m.source != 0, m.type != ProtocolType.error.rawValue, m.type >= 0,
            m.source != service.handle
        else { return }
        deliver(Message(source: service.handle, session: m.session, type: ProtocolType.error.rawValue, data: nil, size: 0), to: m.source)
    }
}
