import Apply
import Diff
import Model
import RenderIptables
import SwitchyardCore

/// The iptables backend's I/O half: applies `IptablesRenderer` output with `ipset restore` and
/// `iptables-restore --noflush -w` / `ip6tables-restore --noflush -w`, per family, touching only
/// `SWITCHYARD-` chains and ipsets and the jump rules into them.
///
/// Full syncs read `iptables-save -t nat` and `-t filter` (and the ip6tables ones) once, so the
/// renderer inserts only missing jump rules and deletes stale `SWITCHYARD-` chains; chains that
/// differ from the in-memory record are reported as `driftRepaired`. Incremental syncs never
/// read kernel state: they send the renderer's partial output (changed chains, `-D`/`-A` deltas,
/// deletions of removed ports' chains) and update the record. Any failure makes the next sync
/// full. `-w` makes every restore wait for the xtables lock instead of failing (the nf_tables
/// variant does not take the lock at all). With `netns`, tools run via `ip netns exec NAME`, so
/// the calling process never changes namespace.
public actor IptablesApplier: ProxyApplier {
    public nonisolated let name = "iptables"
    public let renderer: IptablesRenderer
    /// Network namespace name (under /run/netns) to work in, or nil for the current one.
    public let netns: String?
    /// `XTABLES_LOCKFILE` for the tools (nil: their default, `/run/xtables.lock`).
    public let lockFile: String?
    /// The `ipset` binary.
    public let ipsetPath: String
    private var chosenVariant: IptablesVariant?
    /// Set after a failed apply (and before the first full sync): the next sync is full.
    private var needsFull = true

    /// Our chains according to the last accepted restores; nil before the first full sync and
    /// after a failed one.
    public private(set) var record: IptablesRecord?

    /// - Parameters:
    ///   - renderer: the pure renderer whose output is applied.
    ///   - variant: `.legacy` or `.nft`; nil detects what the node uses on first use (see
    ///     `IptablesVariant.detect`).
    ///   - netns: a named network namespace (`ip netns`) to apply in; nil applies in the caller's.
    ///   - lockFile: overrides the xtables lock file (tests); nil keeps `/run/xtables.lock`.
    public init(renderer: IptablesRenderer = .init(), variant: IptablesVariant? = nil, netns: String? = nil,
                lockFile: String? = nil, ipsetPath: String = "ipset") {
        self.renderer = renderer; self.chosenVariant = variant; self.netns = netns
        self.lockFile = lockFile; self.ipsetPath = ipsetPath
    }

    /// The variant in use, detected on first call when not given.
    public func variant() -> IptablesVariant {
        if let chosenVariant { return chosenVariant }
        func out(_ argv: [String]) -> String { (try? run(argv))?.stdout ?? "" }
        // Reading a legacy table instantiates it: only look when the kernel lists some.
        let legacy = IPFamily.allCases.filter(legacyTablesPresent).map { out([IptablesVariant.legacy.tool("save", family: $0)]) }.joined()
        let nft = out(["iptables-nft-save"]) + out(["ip6tables-nft-save"])
        let v = IptablesVariant.detect(legacySave: legacy, nftSave: nft, version: out(["iptables", "--version"]))
        chosenVariant = v
        return v
    }

    public func applyFull(_ state: ProxyState) async throws -> ApplyReport {
        let previous = record
        record = nil; needsFull = true
        var saved: [IPFamily: String] = [:]
        var drift = 0
        for fam in state.config.families.sorted() {
            let text = try save(fam)
            saved[fam] = text
            if let previous {
                drift += previous.drift(from: SavedRuleset(text), family: fam) + IptablesJumps.missing(from: text).count
            }
        }
        let out = renderer.renderFull(state, saved: saved)
        var fresh = IptablesRecord()
        let (bytes, seconds) = try send(out) { fam, text in fresh = fresh.applying(text, family: fam) }
        record = fresh; needsFull = false
        return report(out, full: true, bytes: bytes, seconds: seconds, drift: drift)
    }

    public func applyIncremental(_ diff: StateDiff, state: ProxyState) async throws -> ApplyReport {
        guard var current = record, !needsFull, !diff.requiresFullSync else { return try await applyFull(state) }
        let out = renderer.renderIncremental(diff, state: state)
        if out.isFull { return try await applyFull(state) }
        if out.isEmpty { return ApplyReport(full: false) }
        let result: (Int, Double)
        do {
            result = try send(out) { fam, text in current = current.applying(text, family: fam) }
        } catch {
            record = current; needsFull = true
            throw error
        }
        record = current
        return report(out, full: false, bytes: result.0, seconds: result.1)
    }

    /// Deletes every rule jumping into a `SWITCHYARD-` chain (by its exact saved spec), flushes and
    /// deletes every `SWITCHYARD-` chain in nat and filter of both families, then destroys every
    /// `SWITCHYARD-` ipset. Nothing else is touched. Idempotent. Without an explicit variant both
    /// the legacy and the nf_tables rules are cleaned (a node may have switched).
    public func cleanup() async throws {
        record = nil; needsFull = true
        for v in chosenVariant.map({ [$0] }) ?? IptablesVariant.allCases {
            for fam in IPFamily.allCases where chosenVariant != nil || v == .nft || legacyTablesPresent(fam) {
                let text = try save(fam, variant: v)
                let restore = Self.cleanupRestore(SavedRuleset(text))
                if !restore.isEmpty { try restoreTables(restore, family: fam, variant: v) }
            }
        }
        let sets = try run([ipsetPath, "list", "-n"])
        guard sets.status == 0 else {
            throw ApplyError(backend: name, operation: "ipset list", message: sets.stderr.trimmed)
        }
        let destroy = Self.ipsetCleanup(sets.stdout)
        if !destroy.isEmpty { try ipsetRestore(destroy) }
    }

    // MARK: pieces (pure)

    /// The `--noflush` restore input removing our jumps and chains found in `saved`, or "".
    static func cleanupRestore(_ saved: SavedRuleset) -> String {
        var b = IptablesRestoreBuilder()
        for j in saved.jumps {
            let tokens = SavedRuleset.tokens(j.spec)
            guard let chain = tokens.first else { continue }
            b.delete(chain, String(j.spec.dropFirst(chain.count)).trimmed, table: j.table)
        }
        for (table, chains) in saved.ownedChains.sorted(by: { $0.key < $1.key }) {
            for c in chains.sorted() { b.deleteChain(c, table: table) }
        }
        return b.isEmpty ? "" : b.text
    }

    /// `ipset restore` input destroying our sets named in `ipset list -n` output, or "".
    static func ipsetCleanup(_ names: String) -> String {
        names.split(separator: "\n").map { String($0).trimmed }.filter { $0.hasPrefix(IptablesNames.prefix) }
            .sorted().map { "destroy \($0)\n" }.joined()
    }

    // MARK: I/O

    /// Sends each family's ipset input then restore input; `accepted` runs after each restore the
    /// kernel took. Returns bytes sent and seconds spent in the tools.
    private func send(_ out: IptablesOutput, accepted: (IPFamily, String) -> Void) throws -> (Int, Double) {
        var bytes = 0
        let start = ContinuousClock.now
        for f in out.families {
            if !f.ipsetRestore.isEmpty { try ipsetRestore(f.ipsetRestore); bytes += f.ipsetRestore.utf8.count }
            if !f.restore.isEmpty {
                try restoreTables(f.restore, family: f.family)
                bytes += f.restore.utf8.count
                accepted(f.family, f.restore)
            }
        }
        let d = ContinuousClock.now - start
        return (bytes, Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18)
    }

    /// True when the kernel has legacy (x_tables) tables of `family` in the namespace
    /// (`/proc/net/ip_tables_names`, `/proc/net/ip6_tables_names`).
    func legacyTablesPresent(_ family: IPFamily) -> Bool {
        let file = family == .ipv4 ? "/proc/net/ip_tables_names" : "/proc/net/ip6_tables_names"
        guard let r = try? run(["cat", file]), r.status == 0 else { return false }
        return !r.stdout.trimmed.isEmpty
    }

    /// `iptables-save -t nat` followed by `iptables-save -t filter` for `family`.
    func save(_ family: IPFamily, variant v: IptablesVariant? = nil) throws -> String {
        var text = ""
        let tool = (v ?? variant()).tool("save", family: family)
        for table in ["nat", "filter"] {
            let r = try run([tool, "-t", table])
            guard r.status == 0 else {
                throw ApplyError(backend: name, operation: "\(tool) -t \(table)", message: r.stderr.trimmed)
            }
            text += r.stdout
        }
        return text
    }

    /// `iptables-restore --noflush -w` (or the ip6tables one) with `text` on stdin.
    func restoreTables(_ text: String, family: IPFamily, variant v: IptablesVariant? = nil) throws {
        let tool = (v ?? variant()).tool("restore", family: family)
        let r = try run([tool, "--noflush", "-w"], input: text)
        guard r.status == 0 else {
            throw RestoreErrorParser.error(output: r.stderr + r.stdout, input: text, operation: "\(tool) --noflush")
        }
    }

    func ipsetRestore(_ text: String) throws {
        let r = try run([ipsetPath, "restore"], input: text)
        guard r.status == 0 else {
            throw RestoreErrorParser.error(output: r.stderr + r.stdout, input: text, operation: "ipset restore")
        }
    }

    private func run(_ argv: [String], input: String = "") throws -> ToolProcess.Result {
        let full = (netns.map { ["ip", "netns", "exec", $0] } ?? []) + argv
        do {
            return try ToolProcess.run(full, input: input, environment: lockFile.map { ["XTABLES_LOCKFILE=\($0)"] } ?? [])
        } catch {
            throw ApplyError(backend: name, operation: argv[0], message: "\(error)")
        }
    }

    private func report(_ out: IptablesOutput, full: Bool, bytes: Int, seconds: Double, drift: Int = 0) -> ApplyReport {
        ApplyReport(full: full, rulesWritten: out.families.reduce(0) { $0 + $1.ruleCommands },
                    elementsWritten: out.families.reduce(0) { $0 + $1.ipsetChanges },
                    bytes: bytes, kernelSeconds: seconds, driftRepaired: drift)
    }
}
