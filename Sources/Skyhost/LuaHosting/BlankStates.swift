import Synchronization

/// Lua states prepared ahead of launches by workers that have nothing else to do.
///
/// Creating a state and opening its libraries is a good part of what a launch costs, and it
/// happens while the launcher, and the caller of `newservice`, wait. A worker about to spin or
/// sleep for want of work prepares one instead (`prepareOne`), so a launch usually only binds a
/// ready state to the new service. A few are kept (`stock`); when none is ready, the launch makes
/// its own. Idle workers do this rather than a thread of its own, which, woken by each launch,
/// would take the core from the launch it is meant to speed up.
final class BlankStates: @unchecked Sendable {
    private let lock = Lock()
    private var ready: [PreparedLuaState] = []
    private var preparing = 0
    private var stopped = false
    /// `ready.count + preparing`, readable without the lock by workers looking for work.
    private let planned = Atomic<Int>(0)

    /// States kept ready.
    static let stock = 16

    /// Prepares one state for `node` if fewer than `stock` are ready or being prepared. Returns
    /// whether it did (so the caller, an idle worker, may look for work again first).
    func prepareOne(node: Node) -> Bool {
        guard planned.load(ordering: .relaxed) < Self.stock else { return false }
        let go: Bool = lock.withLock {
            guard !stopped, ready.count + preparing < Self.stock else { return false }
            preparing += 1
            planned.store(ready.count + preparing, ordering: .relaxed)
            return true
        }
        guard go else { return false }
        let made = try? PreparedLuaState(node: node, loadHotChunks: true)
        let kept: Bool = lock.withLock {
            preparing -= 1
            if let made, !stopped { ready.append(made) }
            planned.store(ready.count + preparing, ordering: .relaxed)
            return !stopped
        }
        if !kept { made?.discard() }
        return made != nil
    }

    /// A ready state, or nil if none is (the caller makes one).
    func take() -> PreparedLuaState? {
        lock.withLock {
            let taken = ready.popLast()
            planned.store(ready.count + preparing, ordering: .relaxed)
            return taken
        }
    }

    /// Closes the states nobody took; none is prepared after this. Once the workers are stopped.
    func stop() {
        let left: [PreparedLuaState] = lock.withLock {
            stopped = true
            let left = ready
            ready.removeAll()
            planned.store(Self.stock, ordering: .relaxed)
            return left
        }
        for prepared in left { prepared.discard() }
    }
}
