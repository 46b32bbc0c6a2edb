import Glibc

/// A POSIX thread running `body`, which its owner joins when it stops it: the node's workers,
/// its timer and its monitor. Its stack is 8 MiB whatever the process's stack limit, since the Lua
/// code of a service may nest C calls deeply.
final class JoinableThread: @unchecked Sendable {
    private var thread = pthread_t()
    private let body: () -> Void

    /// Starts the thread.
    init(_ body: @escaping () -> Void) {
        self.body = body
        let unmanaged = Unmanaged.passRetained(self)
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        pthread_attr_setstacksize(&attributes, 8 << 20)
        pthread_create(
            &thread, &attributes,
            { arg in
                let me = Unmanaged<JoinableThread>.fromOpaque(arg!).takeRetainedValue()
                me.body()
                return nil
            }, unmanaged.toOpaque())
        pthread_attr_destroy(&attributes)
    }

    /// Waits for `body` to return.
    func join() { pthread_join(thread, nil) }
}
