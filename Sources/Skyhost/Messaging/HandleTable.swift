import Synchronization

/// Handles and names of a node's services (Skynet's handle storage).
///
/// Handles are handed out in increasing order starting at 1, harbor id in the top byte, and are
/// not reused until the 24-bit index wraps, so an old address never reaches a new service.
package final class HandleTable: Sendable {
    private struct State {
        var slots: [Service?] = Array(repeating: nil, count: 16)
        var nextIndex: UInt32 = 1
        var names: [String: UInt32] = [:]
        var namesOf: [UInt32: [String]] = [:]
        /// Messages sent to global names not bound yet, each name's in the order they were sent.
        var held: [String: [Message]] = [:]
        var count = 0
    }

    /// Where a message to a global name goes (see `handle(named:orHold:)`).
    enum GlobalNameLookup {
        /// The name is bound to this handle; the caller still owns the message.
        case bound(UInt32)
        /// The name is not bound yet: the message is held until it is.
        case held
    }

    private let harborBits: UInt32
    private let state = Locked(State())

    init(harbor: UInt32) {
        harborBits = (harbor & 0xff) << ServiceAddress.harborShift
    }

    /// Reserves the next handle for a service made by `make`.
    package func register(_ make: (UInt32) -> Service) -> Service {
        state.withLock { s in
            while true {
                let size = s.slots.count
                for i in 0..<UInt32(size) {
                    var index = (s.nextIndex &+ i) & ServiceAddress.localMask
                    if index == 0 { index = 1 }
                    let slot = Int(index) & (size - 1)
                    if s.slots[slot] == nil {
                        let service = make(index | harborBits)
                        s.slots[slot] = service
                        s.nextIndex = index &+ 1
                        s.count += 1
                        return service
                    }
                }
                var bigger = [Service?](repeating: nil, count: size * 2)
                for case let service? in s.slots {
                    bigger[Int(service.handle & ServiceAddress.localMask) & (size * 2 - 1)] = service
                }
                s.slots = bigger
            }
        }
    }

    /// The live service with this handle.
    func lookup(_ handle: UInt32) -> Service? {
        state.withLock { s in
            let service = s.slots[Int(handle & ServiceAddress.localMask) & (s.slots.count - 1)]
            return service?.handle == handle ? service : nil
        }
    }

    /// Removes a handle and every name bound to it. Returns the service if it was live.
    @discardableResult
    func retire(_ handle: UInt32) -> Service? {
        state.withLock { s in
            let slot = Int(handle & ServiceAddress.localMask) & (s.slots.count - 1)
            guard let service = s.slots[slot], service.handle == handle else { return nil }
            s.slots[slot] = nil
            s.count -= 1
            if let names = s.namesOf.removeValue(forKey: handle) {
                for name in names { s.names.removeValue(forKey: name) }
            }
            return service
        }
    }

    /// Binds a name to a handle. Fails (false) if the name is taken or the handle is gone.
    /// Messages held for the name go to `deliverHeld` with the named service, in the order they
    /// were sent, while the table is locked: a message sent to the name once it is bound cannot
    /// overtake them.
    func bind(name: String, to handle: UInt32, deliverHeld: (Message, Service) -> Void) -> Bool {
        state.withLock { s in
            if s.names[name] != nil { return false }
            let slot = Int(handle & ServiceAddress.localMask) & (s.slots.count - 1)
            guard let service = s.slots[slot], service.handle == handle else { return false }
            s.names[name] = handle
            s.namesOf[handle, default: []].append(name)
            if let held = s.held.removeValue(forKey: name) {
                for message in held { deliverHeld(message, service) }
            }
            return true
        }
    }

    /// The handle bound to a name.
    func handle(named name: String) -> UInt32? {
        state.withLock { $0.names[name] }
    }

    /// The handle bound to the global name `name`; or, if none is yet, holds `message` until a
    /// service takes the name, as Skynet's harbor holds messages to a global name that `.cslave`
    /// has not registered yet (a service may send to a name another registers a moment later).
    func handle(named name: String, orHold message: Message) -> GlobalNameLookup {
        state.withLock { s in
            if let handle = s.names[name] { return .bound(handle) }
            s.held[name, default: []].append(message)
            return .held
        }
    }

    /// Gives up every held message (the node is stopping); the caller releases them.
    func takeHeld() -> [Message] {
        state.withLock { s in
            let all = s.held.values.flatMap { $0 }
            s.held = [:]
            return all
        }
    }

    /// Every live service, in handle order.
    func all() -> [Service] {
        state.withLock { s in s.slots.compactMap { $0 } }.sorted { $0.handle < $1.handle }
    }

    /// Names bound to live services.
    func allNames() -> [String: UInt32] {
        state.withLock { $0.names }
    }

    /// Number of live services.
    var count: Int { state.withLock { $0.count } }
}
