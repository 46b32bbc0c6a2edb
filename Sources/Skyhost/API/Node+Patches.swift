import Foundation

/// One patch a service runs: an inject that changed something, or a module reload (see
/// `lualib/skynet/patch.lua`). A service's patches form a stack, oldest first.
public struct Patch: Sendable, Hashable {
    /// The patch's number in its service (1, 2, ...; never reused).
    public let id: Int
    /// `inject` or `reload`.
    public let kind: String
    /// The hotfix's file name, or the reloaded module's name.
    public let name: String
    /// SHA-1 of the hotfix source or of the module file, in hex.
    public let checksum: String
    /// When it was applied.
    public let time: Date
    /// Who applied it: the token's operator on a node with an update key, else `anonymous`.
    public let `operator`: String
    /// The broadcast it was part of, if any.
    public let broadcast: String?
    /// What it changed, e.g. `2 fields, 1 upvalue join`.
    public let summary: String

    init?(_ value: LuaValue) {
        guard let id = value["id"].integerValue, let kind = value["kind"].stringValue,
            let name = value["name"].stringValue
        else { return nil }
        self.id = Int(id)
        self.kind = kind
        self.name = name
        checksum = value["checksum"].stringValue ?? ""
        time = Date(timeIntervalSince1970: value["time"].numberValue ?? 0)
        self.operator = value["operator"].stringValue ?? "anonymous"
        broadcast = value["broadcast"].stringValue
        summary = value["summary"].stringValue ?? ""
    }
}

extension Node {
    /// The patches `address` runs, oldest first.
    public func patches(of address: ServiceAddress) async throws -> [Patch] {
        let reply = try await call(address, protocol: .debug, ["PATCHES"])
        return (reply.first?.arrayValue ?? []).compactMap(Patch.init)
    }

    /// Undoes the last `count` patches of `address`: the functions they replaced come back, data
    /// the handlers changed since stays (see `lualib/skynet/patch.lua`). Returns one line per
    /// patch rolled back; throws `rollbackFailed` when there are fewer patches, or one cannot
    /// be rolled back (the lines say what was done before it).
    /// When the last patch is a reload in place (and `count` is 1), the code it replaced starts
    /// again the same way, with the state handed over.
    @discardableResult
    public func rollback(_ address: ServiceAddress, count: Int = 1) async throws -> [String] {
        let reply = try await call(address, protocol: .debug, ["ROLLBACK", .integer(Int64(count)), ["operator": "swift"]])
        if reply.first == .bool(true) { return [Self.secondString(of: reply)] }
        guard let lines = reply.first?.arrayValue else {
            throw SkyhostError.rollbackFailed(Self.secondString(of: reply))
        }
        return lines.compactMap(\.stringValue)
    }

    /// Reloads `address` in place: a new Lua state started from the files on disk at the same
    /// address, with the same launch arguments and names, handed what the old version's
    /// `skynet.on_reload` function returns (docs/hot-updates.md). Returns the report
    /// (`reloaded :0000000a: patch #N`); throws `hotfixFailed` with the reason when the new
    /// version does not start, its old one keeping on as it was.
    @discardableResult
    public func reload(_ address: ServiceAddress) async throws -> String {
        try await runHotfix(address, ["RELOAD", ["operator": "swift"]])
    }

    /// Reloads in place every Lua service started from `script` (`snlua script ...`), all at
    /// once. With `rollbackOnFailure`, if one fails, those reloaded go back to the code they
    /// ran. Returns each service's outcome.
    public func reload(
        servicesOf script: String, rollbackOnFailure: Bool = false
    ) async -> [ServiceAddress: Result<String, SkyhostError>] {
        let targets = luaServices().filter { $0.launchName.split(separator: " ").dropFirst().first.map(String.init) == script }
        let results = await forEachService(targets) { address in
            try await self.reload(address)
        }
        if rollbackOnFailure, results.values.contains(where: { if case .failure = $0 { true } else { false } }) {
            for case (let address, .success) in results {
                _ = try? await rollback(address)
            }
        }
        return results
    }

    /// Injects a hotfix into every Lua service started from `script` (`snlua script ...`) with one
    /// broadcast id, all at once. With `rollbackOnFailure`, if it fails in any service, it is
    /// rolled back in all the others. Returns the broadcast id and each service's outcome.
    public func inject(
        intoServicesOf script: String, source: String, filename: String = "inject",
        rollbackOnFailure: Bool = false
    ) async -> (broadcast: String, results: [ServiceAddress: Result<String, SkyhostError>]) {
        let id = "b" + UUID().uuidString.prefix(8).lowercased() + ":swift"
        let targets = luaServices().filter { $0.launchName.split(separator: " ").dropFirst().first.map(String.init) == script }
        let meta: LuaValue = ["broadcast": .string(id), "operator": "swift"]
        let results = await forEachService(targets) { address in
            try await self.runHotfix(address, ["INJECT", meta, .string(source), .string(filename)])
        }
        if rollbackOnFailure, results.values.contains(where: { if case .failure = $0 { true } else { false } }) {
            _ = await rollback(broadcast: id)
        }
        return (id, results)
    }

    /// Undoes broadcast `id` in every service it patched (it must be each one's last patch);
    /// returns each service's report line, or why it could not be rolled back.
    @discardableResult
    public func rollback(broadcast id: String) async -> [ServiceAddress: Result<String, SkyhostError>] {
        var results: [ServiceAddress: Result<String, SkyhostError>] = [:]
        for target in luaServices() {
            guard let patches = try? await patches(of: target.address),
                patches.contains(where: { $0.broadcast == id })
            else { continue }
            do {
                let reply = try await call(target.address, protocol: .debug, ["ROLLBACK_BROADCAST", .string(id)])
                if let lines = reply.first?.arrayValue {
                    results[target.address] = .success(lines.compactMap(\.stringValue).joined(separator: "\n"))
                } else {
                    results[target.address] = .failure(.rollbackFailed(Self.secondString(of: reply)))
                }
            } catch let e as SkyhostError {
                results[target.address] = .failure(e)
            } catch {
                results[target.address] = .failure(.rollbackFailed("\(error)"))
            }
        }
        return results
    }

    /// Which version (SHA-1 of the file) of each module every Lua service runs:
    /// module -> checksum -> services.
    public func moduleVersions() async -> [String: [String: [ServiceAddress]]] {
        var versions: [String: [String: [ServiceAddress]]] = [:]
        for target in luaServices() {
            guard let reply = try? await call(target.address, protocol: .debug, ["VERSIONS"]),
                case .table(let table)? = reply.first
            else { continue }
            for (name, checksum) in table {
                guard let name = name.stringValue, let checksum = checksum.stringValue else { continue }
                versions[name, default: [:]][checksum, default: []].append(target.address)
            }
        }
        return versions
    }
}
