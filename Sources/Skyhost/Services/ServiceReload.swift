/// A reload in place under way on one Lua service: a new `lua_State` started from the files on
/// disk, at the same handle, replacing the old one between two messages (docs/hot-updates.md).
///
/// The old state drives the first half (lualib/skynet/api/reload.lua, from its debug `RELOAD`):
/// it asks for the hold, waits until none of its requests is in flight, runs its `on_reload` and
/// asks for the swap. The worker does the rest once that message is done: it makes the new state
/// and runs the loader in it; the new state's start function reports how it went. Then the old
/// state is closed (or, when anything failed, the new one is, and the old one serves again with
/// everything it had).
///
/// From the hold to the end only answers reach the service (RESPONSE, and ERROR of a session):
/// those the old state waits for while it drains, those of the new state's own sessions while it
/// starts. Everything else is held and, when the reload ends either way, goes back to the head of
/// the mailbox in the order it came, so the version that serves from then on sees every message
/// once, in order. Answers to the sessions of a replaced state are dropped.
///
/// Owned by the worker that runs the service, like the service's body.
final class ServiceReload {
    enum Phase {
        /// The old state waits for its requests in flight.
        case draining
        /// The old state asked for the new one, handing over these bytes; it starts once the
        /// current message is done.
        case swapRequested(handover: [UInt8])
        /// The new state runs its loader and its start function; `old` waits.
        case starting(old: LuaServiceBody)
        /// The new state has started, as patch `patch` (0 for a rollback); `report` answers the
        /// requester.
        case started(old: LuaServiceBody, report: String, patch: Int)
        /// The reload failed: the new state (if there is one) goes, `old` (if it was replaced)
        /// serves again.
        case failed(old: LuaServiceBody?, reason: String)
        /// Given up before the swap: by the old state, which has answered the requester itself,
        /// or by the backstop deadline.
        case cancelled
    }

    var phase: Phase = .draining
    /// Who asked for the reload, and the session its answer carries (set by the hold).
    var requester: UInt32 = 0
    var session: Int32 = 0
    /// Sessions the old state waits on: held while the new state starts, dropped once it has.
    var oldSessions: Set<Int32> = []
    /// Messages held back, oldest first.
    var held: [Message] = []
    /// The timer session of the deadline armed now (0 when none is): while the old state drains,
    /// a backstop in case it never goes on nor gives up; then the new state's start.
    var deadlineSession: Int32 = 0
    /// When the reload rolls back reload `rollbackOf`: the new state runs the code that one
    /// replaced.
    var rollbackOf: Int?

    /// Replaced code kept per service, for rollbacks: as many reloads as a patch stack keeps.
    static let replacedCodeLimit = 64

    /// How long the old state may wait for its requests, and the new one may take to start,
    /// when the node's `reload_timeout` (seconds) does not say.
    static let defaultTimeoutSeconds = 5.0
}

extension Node {
    /// Whether `path` is one of the runtime's own Lua files (skynet.lua, lualib/skynet/, the
    /// loader), which every state loads as they are now: a rollback starts again the service's
    /// own code only.
    func isRuntimeFile(_ path: String) -> Bool {
        guard path.hasPrefix(runtimeLualib) else { return false }
        let rest = path.dropFirst(runtimeLualib.count)
        return rest == "skynet.lua" || rest == "loader.lua" || rest.hasPrefix("skynet/")
    }

    /// The seconds a reload's drain, and its new state's start, may take (`reload_timeout`).
    var reloadTimeoutSeconds: Double {
        getenv("reload_timeout").flatMap(Double.init).flatMap { $0 > 0 ? $0 : nil } ?? ServiceReload.defaultTimeoutSeconds
    }

    /// A step of `skynet.core.reload` from `service`'s Lua code (see `skyhost_host.reload`).
    /// Returns false when the step is out of turn.
    func reloadStep(
        _ service: Service, _ step: String, requester: UInt32, session: Int32, data: UnsafeRawBufferPointer, text: String
    ) -> Bool {
        switch step {
        case "hold":
            guard service.reload == nil else { return false }
            let reload = ServiceReload()
            reload.requester = requester
            reload.session = session
            service.reload = reload
            // A backstop: the old state gives up by itself after reload_timeout; should it never
            // say (its request thread killed...), the hold ends anyway.
            reload.deadlineSession = service.nextSession()
            timer.add(handle: service.handle, session: reload.deadlineSession, centiseconds: Int(reloadTimeoutSeconds * 200) + 100)
        case "cancel":
            guard let reload = service.reload, case .draining = reload.phase else { return false }
            reload.phase = .cancelled
        case "pin":
            guard let reload = service.reload, case .draining = reload.phase,
                service.replacedCode[Int(session)] != nil
            else { return false }
            reload.rollbackOf = Int(session)
        case "swap":
            guard let reload = service.reload, case .draining = reload.phase else { return false }
            reload.oldSessions = Set(text.split(separator: " ").compactMap { Int32($0) })
            reload.phase = .swapRequested(handover: Array(data))
        case "started":
            guard let reload = service.reload, case .starting(let old) = reload.phase else { return false }
            let report = String(decoding: data, as: UTF8.self)
            reload.phase =
                session == 1 ? .started(old: old, report: report, patch: Int(requester)) : .failed(old: old, reason: report)
        default:
            return false
        }
        return true
    }

    /// Whether the worker takes `message` for the reload instead of dispatching it: held, or a
    /// deadline of the reload's. Also drops answers to the sessions of a replaced state.
    func interceptForReload(_ message: Message, of service: Service) -> Bool {
        let answer =
            message.type == ProtocolType.response.rawValue || message.type == ProtocolType.error.rawValue
        if answer, !service.staleSessions.isEmpty, service.staleSessions.remove(message.session) != nil {
            message.release()
            return true
        }
        guard let reload = service.reload else { return false }
        if answer, message.session == reload.deadlineSession, reload.deadlineSession != 0 {
            message.release()
            reload.deadlineSession = 0
            switch reload.phase {
            case .draining:
                log(source: service.handle, "reload given up: the service neither went on nor gave up in time")
                reload.phase = .cancelled
            case .starting(let old):
                let seconds = String(format: "%g", reloadTimeoutSeconds)
                reload.phase = .failed(
                    old: old, reason: "the new version did not finish starting within \(seconds) s (does it call skynet.start?)")
            default:
                break
            }
            return true
        }
        // Only answers to sessions of the state serving now pass (an ERROR of session 0, "the
        // sender is gone", concerns whichever state serves once the reload ends).
        if answer, message.session != 0, !reload.oldSessions.contains(message.session) { return false }
        reload.held.append(message)
        return true
    }

    /// Moves the service's reload on after a message: starts the new state when the swap was
    /// asked for, and ends the reload when it has started, failed or been given up. Returns the
    /// messages to deliver again (ahead of everything else) when it ended, else nil.
    func advanceReload(_ service: Service) -> [Message]? {
        guard let reload = service.reload else { return nil }
        if case .swapRequested(let handover) = reload.phase {
            startReplacement(service, reload, handover: handover)
        }
        switch reload.phase {
        case .draining, .swapRequested, .starting:
            return nil
        case .cancelled:
            break
        case .started(let old, let report, let patch):
            if let rolledBack = reload.rollbackOf { service.replacedCode[rolledBack] = nil }
            if patch > 0 {
                service.replacedCode[patch] = Dictionary(old.loadedCode.map { ($0.path, $0) }) { _, last in last }
                if service.replacedCode.count > ServiceReload.replacedCodeLimit, let oldest = service.replacedCode.keys.min() {
                    service.replacedCode[oldest] = nil
                }
            }
            old.close(service)
            (service.body as? LuaServiceBody)?.dropHandover()
            service.staleSessions.formUnion(reload.oldSessions)
            answer(reload, from: service, ok: true, report)
        case .failed(let old, let reason):
            if let old {
                let replacement = service.body
                service.body = old
                replacement?.close(service)
            }
            log(source: service.handle, "reload failed: \(reason)")
            answer(reload, from: service, ok: false, reason)
        }
        if reload.deadlineSession != 0 { service.staleSessions.insert(reload.deadlineSession) }
        service.reload = nil
        return reload.held
    }

    /// The service retires (killed, or exiting) in the middle of a reload: what it held goes the
    /// way of its mailbox, the state that waited to be closed or restored is closed, and the
    /// requester is told.
    func abandonReload(of service: Service) {
        guard let reload = service.reload else { return }
        service.reload = nil
        for m in reload.held { bounce(m, from: service) }
        switch reload.phase {
        case .starting(let old), .started(let old, _, _): old.close(service)
        case .failed(let old?, _): old.close(service)
        default: break
        }
        answer(reload, from: service, ok: false, "the service retired during its reload")
    }

    /// Makes the new state and runs the loader in it.
    private func startReplacement(_ service: Service, _ reload: ServiceReload, handover: [UInt8]) {
        guard let old = service.body as? LuaServiceBody else {
            reload.phase = .failed(old: nil, reason: "not a Lua service")
            return
        }
        let replacement: LuaServiceBody
        do {
            replacement = try newLuaBody(for: service, prepared: blankStates.take())
        } catch {
            reload.phase = .failed(old: nil, reason: "cannot make a new Lua state: \(error)")
            return
        }
        replacement.keepHandover(handover)
        if let rolledBack = reload.rollbackOf { replacement.pinnedCode = service.replacedCode[rolledBack] }
        service.body = replacement
        reload.phase = .starting(old: old)
        if reload.deadlineSession != 0 { service.staleSessions.insert(reload.deadlineSession) }
        reload.deadlineSession = service.nextSession()
        timer.add(handle: service.handle, session: reload.deadlineSession, centiseconds: Int(reloadTimeoutSeconds * 100))
        let words = service.launchName.split(separator: " ", maxSplits: 1)
        do {
            try replacement.start(launchArguments: words.count > 1 ? String(words[1]) : "")
        } catch {
            reload.phase = .failed(old: old, reason: "\(error)")
        }
    }

    /// Answers the requester of the reload with `(ok, text)`, skynet.pack'ed (unless it sent
    /// the request without waiting for an answer).
    private func answer(_ reload: ServiceReload, from service: Service, ok: Bool, _ text: String) {
        guard reload.requester != 0, reload.session != 0, let bytes = try? SkynetPack.pack([.bool(ok), .string(text)]) else { return }
        let (data, size) = Message.payload(copying: bytes)
        deliver(
            Message(source: service.handle, session: reload.session, type: ProtocolType.response.rawValue, data: data, size: size),
            to: reload.requester)
    }
}
