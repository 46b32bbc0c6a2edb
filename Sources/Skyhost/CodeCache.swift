import Crypto
import Glibc
import Synchronization

/// Compiled Lua code shared by the services of a node, keyed by file path and validated by the
/// file's exact bytes on every load (see `code_cache.c`): never stale, nothing to clear.
final class CodeCache: Sendable {
    /// One file's last compiled source and its bytecode, immutable once made.
    final class Entry: @unchecked Sendable {
        let source: UnsafeMutableRawBufferPointer
        let bytecode: UnsafeMutableRawBufferPointer

        /// The source's SHA-1 as 40 lowercase hex digits and a NUL (what `sha1sum` prints for
        /// the file): the module version that `versions` and `patches` show.
        let checksum: UnsafeMutablePointer<CChar>

        init(source: UnsafeRawBufferPointer, bytecode: UnsafeRawBufferPointer) {
            self.source = .allocate(byteCount: max(source.count, 1), alignment: 8)
            self.source.copyMemory(from: source)
            self.bytecode = .allocate(byteCount: max(bytecode.count, 1), alignment: 8)
            self.bytecode.copyMemory(from: bytecode)
            sourceCount = source.count
            bytecodeCount = bytecode.count
            checksum = .allocate(capacity: 41)
            let digits = Array("0123456789abcdef".utf8)
            for (i, byte) in Insecure.SHA1.hash(data: source).enumerated() {
                checksum[2 * i] = CChar(bitPattern: digits[Int(byte >> 4)])
                checksum[2 * i + 1] = CChar(bitPattern: digits[Int(byte & 15)])
            }
            checksum[40] = 0
        }

        let sourceCount: Int
        let bytecodeCount: Int

        func matches(_ other: UnsafeRawBufferPointer) -> Bool {
            other.count == sourceCount && (sourceCount == 0 || memcmp(source.baseAddress!, other.baseAddress!, sourceCount) == 0)
        }

        deinit {
            source.deallocate()
            bytecode.deallocate()
            checksum.deallocate()
        }
    }

    private let entries = Locked<[String: Entry]>([:])

    /// The entry for `path` if it was compiled from exactly `source`.
    func lookup(path: String, source: UnsafeRawBufferPointer) -> Entry? {
        guard let entry = entries.withLock({ $0[path] }), entry.matches(source) else { return nil }
        return entry
    }

    /// Remembers `bytecode` as the compiled form of `source` for `path`; returns the new entry.
    @discardableResult
    func store(path: String, source: UnsafeRawBufferPointer, bytecode: UnsafeRawBufferPointer) -> Entry {
        let entry = Entry(source: source, bytecode: bytecode)
        entries.withLock { $0[path] = entry }
        return entry
    }
}
