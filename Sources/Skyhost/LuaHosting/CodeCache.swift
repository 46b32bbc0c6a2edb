import CSkyhostNative
import Crypto
import Glibc

/// Compiled Lua code shared by the services of a node, keyed by file path and validated on every
/// load by the file's exact bytes, or by its settled stat stamp (see `code_cache.c`): never
/// stale, nothing to clear.
final class CodeCache: Sendable {
    /// One file's last compiled source and its bytecode, immutable once made.
    final class Code: @unchecked Sendable {
        /// The file it was compiled from.
        let path: String
        let source: UnsafeMutableRawBufferPointer
        let bytecode: UnsafeMutableRawBufferPointer
        let sourceCount: Int
        let bytecodeCount: Int

        /// The source's SHA-1 as 40 lowercase hex digits and a NUL (what `sha1sum` prints for
        /// the file): the module version that `versions` and `patches` show.
        let checksum: UnsafeMutablePointer<CChar>

        init(path: String, source: UnsafeRawBufferPointer, bytecode: UnsafeRawBufferPointer) {
            self.path = path
            self.source = .allocate(byteCount: max(source.count, 1), alignment: 8)
            self.source.copyMemory(from: source)
            self.bytecode = .allocate(byteCount: max(bytecode.count, 1), alignment: 8)
            self.bytecode.copyMemory(from: bytecode)
            sourceCount = source.count
            bytecodeCount = bytecode.count
            checksum = .allocate(capacity: 41)
            for (i, digit) in hexDigits(of: Insecure.SHA1.hash(data: source)).enumerated() {
                checksum[i] = CChar(bitPattern: digit)
            }
            checksum[40] = 0
        }

        func matches(_ other: UnsafeRawBufferPointer) -> Bool {
            other.count == sourceCount && (sourceCount == 0 || memcmp(source.baseAddress!, other.baseAddress!, sourceCount) == 0)
        }

        deinit {
            source.deallocate()
            bytecode.deallocate()
            checksum.deallocate()
        }
    }

    private struct Entry {
        let code: Code
        /// The file's stamp when it was known to hold `code.source` and had settled; nil if none.
        var stamp: skyhost_file_stamp?
        /// Loads that found this entry by its stamp.
        var hits = 0
    }

    /// A file that many loads find unchanged, with its code: see `hot(limit:)`.
    struct HotFile {
        let path: String
        let stamp: skyhost_file_stamp
        let code: Code
    }

    private let entries = Locked<[String: Entry]>([:])

    /// The code for `path` if it was stored (or checked) with exactly this settled stamp.
    func lookup(path: String, stamp: skyhost_file_stamp) -> Code? {
        entries.withLock { entries in
            guard let entry = entries[path], let known = entry.stamp, Self.same(known, stamp) else { return nil }
            entries[path]?.hits += 1
            return entry.code
        }
    }

    /// The code last compiled for `path`, if its source's SHA-1 is `checksum` (40 hex digits).
    func current(path: String, checksum: UnsafePointer<CChar>) -> Code? {
        guard let code = entries.withLock({ $0[path]?.code }), memcmp(code.checksum, checksum, 40) == 0 else { return nil }
        return code
    }

    /// Loads of a file found by stamp before it counts as hot.
    static let hotThreshold = 16

    /// The settled files loaded most often (at least `hotThreshold` times), most loaded first:
    /// the ones worth loading into states prepared ahead of launches.
    func hot(limit: Int) -> [HotFile] {
        // Only the copy under the lock, which every load by stamp takes; the sort after it.
        let candidates = entries.withLock { entries in
            entries.compactMap { path, entry in
                entry.hits >= Self.hotThreshold
                    ? entry.stamp.map { (file: HotFile(path: path, stamp: $0, code: entry.code), hits: entry.hits) } : nil
            }
        }
        return candidates.sorted { $0.hits > $1.hits }.prefix(limit).map(\.file)
    }

    /// The code for `path` if it was compiled from exactly `source`; when it was and `stamp` is
    /// given (settled), the stamp is remembered so that later loads need not read the file.
    func lookup(path: String, source: UnsafeRawBufferPointer, stamp: skyhost_file_stamp?) -> Code? {
        guard let code = entries.withLock({ $0[path]?.code }), code.matches(source) else { return nil }
        if let stamp {
            entries.withLock { entries in
                if entries[path]?.code === code { entries[path]?.stamp = stamp }
            }
        }
        return code
    }

    /// Remembers the bytecode compiled from `source` for `path`, with the file's settled stamp;
    /// returns the new code.
    @discardableResult
    func store(path: String, stamp: skyhost_file_stamp?, source: UnsafeRawBufferPointer, bytecode: UnsafeRawBufferPointer) -> Code {
        let code = Code(path: path, source: source, bytecode: bytecode)
        entries.withLock { $0[path] = Entry(code: code, stamp: stamp) }
        return code
    }

    private static func same(_ a: skyhost_file_stamp, _ b: skyhost_file_stamp) -> Bool {
        var a = a
        var b = b
        return memcmp(&a, &b, MemoryLayout<skyhost_file_stamp>.size) == 0
    }
}
