import Glibc
import Synchronization

/// Compiled Lua code shared by the services of a node, keyed by file path and validated by the
/// file's exact bytes on every load (see `code_cache.c`): never stale, nothing to clear.
final class CodeCache: Sendable {
    /// One file's last compiled source and its bytecode, immutable once made.
    final class Entry: @unchecked Sendable {
        let source: UnsafeMutableRawBufferPointer
        let bytecode: UnsafeMutableRawBufferPointer

        init(source: UnsafeRawBufferPointer, bytecode: UnsafeRawBufferPointer) {
            self.source = .allocate(byteCount: max(source.count, 1), alignment: 8)
            self.source.copyMemory(from: source)
            self.bytecode = .allocate(byteCount: max(bytecode.count, 1), alignment: 8)
            self.bytecode.copyMemory(from: bytecode)
            sourceCount = source.count
            bytecodeCount = bytecode.count
        }

        let sourceCount: Int
        let bytecodeCount: Int

        func matches(_ other: UnsafeRawBufferPointer) -> Bool {
            other.count == sourceCount && (sourceCount == 0 || memcmp(source.baseAddress!, other.baseAddress!, sourceCount) == 0)
        }

        deinit {
            source.deallocate()
            bytecode.deallocate()
        }
    }

    private let entries = Locked<[String: Entry]>([:])

    /// The entry for `path` if it was compiled from exactly `source`.
    func lookup(path: String, source: UnsafeRawBufferPointer) -> Entry? {
        guard let entry = entries.withLock({ $0[path] }), entry.matches(source) else { return nil }
        return entry
    }

    func store(path: String, source: UnsafeRawBufferPointer, bytecode: UnsafeRawBufferPointer) {
        let entry = Entry(source: source, bytecode: bytecode)
        entries.withLock { $0[path] = entry }
    }
}
