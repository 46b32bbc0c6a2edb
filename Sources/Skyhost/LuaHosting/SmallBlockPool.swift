import CSkyhostNative

/// The node's pool of small blocks for its services' Lua heaps (`small_pool.c`). Every Lua
/// service body keeps a reference, so the pool goes away only after the last state using it
/// is closed.
final class SmallBlockPool: @unchecked Sendable {
    let raw: OpaquePointer

    init() {
        guard let pool = skyhost_pool_create() else { fatalError("out of memory creating the small-block pool") }
        raw = pool
    }

    deinit {
        skyhost_pool_destroy(raw)
    }

    /// Makes the calling worker thread cache free blocks of this pool (no lock per allocation).
    func attachCurrentThread() { skyhost_pool_attach_thread(raw) }

    /// Undoes `attachCurrentThread`, giving the cached blocks back; before the thread ends.
    static func detachCurrentThread() { skyhost_pool_detach_thread() }
}
