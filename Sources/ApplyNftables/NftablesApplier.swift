import Apply
import Diff
import Model
import RenderNftables

#if canImport(Glibc)
import Glibc
#endif

/// The nftables backend's I/O half: applies `NftablesRenderer` output to our own tables
/// (`table ip switchyard`, `table ip6 switchyard`) and nothing else.
///
/// Full syncs send the renderer's full transaction (which replaces our tables atomically) through
/// `nft -f -`. Incremental syncs send only the renderer's deltas. The applier keeps an `NftRecord`
/// of what it committed; it changes only after the kernel accepted a transaction.
public actor NftablesApplier: ProxyApplier {
    public nonisolated let name = "nftables"
    public let renderer: NftablesRenderer
    /// The `nft` binary (looked up in PATH unless absolute).
    public let nftPath: String
    /// Network namespace name (under /run/netns) to work in, or nil for the current one.
    public let netns: String?

    /// What the kernel holds according to our last successful commit; nil before the first
    /// full sync and after a failed one (the next sync is then full).
    public private(set) var record: NftRecord?

    /// - Parameters:
    ///   - renderer: the pure renderer whose output is applied.
    ///   - nftPath: the `nft` binary.
    ///   - netns: a named network namespace (`ip netns`) to apply in; nil applies in the caller's.
    public init(renderer: NftablesRenderer = .init(), nftPath: String = "nft", netns: String? = nil) {
        self.renderer = renderer; self.nftPath = nftPath; self.netns = netns
    }

    public func applyFull(_ state: ProxyState) async throws -> ApplyReport {
        let out = renderer.renderFull(state)
        let previous = record
        record = nil
        let clock = ContinuousClock.now
        let text = out.text
        try runScript(text)
        let seconds = (ContinuousClock.now - clock).seconds
        record = NftRecord().applying(out.transaction)
        _ = previous
        return report(out, full: true, bytes: text.utf8.count, seconds: seconds)
    }

    public func applyIncremental(_ diff: StateDiff, state: ProxyState) async throws -> ApplyReport {
        guard let current = record, !diff.requiresFullSync else { return try await applyFull(state) }
        let out = renderer.renderIncremental(diff, state: state)
        if out.needsFullSync { return try await applyFull(state) }
        if out.isEmpty { return ApplyReport(full: false) }
        let clock = ContinuousClock.now
        let text = out.text
        try runScript(text)
        let seconds = (ContinuousClock.now - clock).seconds
        record = current.applying(out.transaction)
        return report(out, full: false, bytes: text.utf8.count, seconds: seconds)
    }

    public func cleanup() async throws {
        record = nil
        // `add` first so `delete` never fails; touches only our two tables.
        let t = renderer.table
        try runScript("add table ip \(t)\ndelete table ip \(t)\nadd table ip6 \(t)\ndelete table ip6 \(t)\n")
    }

    /// Runs `script` as one `nft -f -` transaction; throws `ApplyError` naming the failing line.
    func runScript(_ script: String) throws {
        let argv = (netns.map { ["ip", "netns", "exec", $0] } ?? []) + [nftPath, "-f", "-"]
        let r: NftProcess.Result
        do { r = try NftProcess.run(argv, input: script) } catch {
            throw ApplyError(backend: name, operation: "nft -f", message: "\(error)")
        }
        guard r.status == 0 else { throw NftErrorParser.error(output: r.output, script: script, operation: "nft -f") }
    }

    private func report(_ out: NftOutput, full: Bool, bytes: Int, seconds: Double, drift: Int = 0) -> ApplyReport {
        var rules = 0, elements = 0
        for c in out.transaction.commands {
            switch c {
            case .addRule: rules += 1
            case .addElements(_, _, let e), .deleteElements(_, _, let e): elements += e.count
            default: break
            }
        }
        return ApplyReport(full: full, rulesWritten: rules, elementsWritten: elements, bytes: bytes,
                           kernelSeconds: seconds, driftRepaired: drift)
    }
}

extension Duration {
    /// The duration in seconds.
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}
