import Apply
import ApplyIPVS
import ApplyIptables
import ApplyNftables
import Diff
import Foundation
import Model
import Render
import RenderIPVS
import RenderIptables
import RenderNftables
import SwitchyardCore

/// One backend's renderer, applier and tools, as the bench drives them.
struct BackendRun: Sendable {
    let backend: BenchBackend
    /// `XTABLES_LOCKFILE` for the legacy iptables tools: private to this bench run.
    let lockFile: String
    let variant: IptablesVariant

    init(backend: BenchBackend, lockFile: String) {
        self.backend = backend; self.lockFile = lockFile
        // The host's default iptables decides; reading the version touches no rules. The UML guest's
        // kernel has the legacy xtables tables only (no nft NAT chains).
        let version = UMLBench.inGuest ? "legacy" : (try? ToolProcess.run(["iptables", "--version"]))?.stdout ?? ""
        variant = version.contains("legacy") ? .legacy : .nft
    }

    func applier(netns: String) -> any ProxyApplier {
        switch backend {
        case .nftables: return NftablesApplier(netns: netns)
        case .iptables: return IptablesApplier(variant: variant, netns: netns, lockFile: lockFile)
        case .ipvs: return IPVSApplier(netns: netns, iptables: variant == .legacy ? "iptables-legacy" : "iptables")
        }
    }

    /// Renders the full state (for timing); returns the text size.
    func renderFullSize(_ state: ProxyState) -> Int {
        switch backend {
        case .nftables: return NftablesRenderer().renderFull(state).text.utf8.count
        case .iptables: return IptablesRenderer().renderFull(state, saved: [:]).text.utf8.count
        case .ipvs: return IPVSRenderer().renderFull(state).text.utf8.count
        }
    }

    /// The full text as the tools consume it, for a namespace that holds nothing of ours yet
    /// (iptables: rendered against that namespace's own save output, as the applier does; IPVS:
    /// `IPVSToolText.full` of the plan the applier builds in a fresh namespace, whose only
    /// addresses are loopback ones, which NodePorts skip).
    func fullParts(_ state: ProxyState, netns: String) throws -> [RenderedPart] {
        switch backend {
        case .ipvs: return IPVSToolText.full(IPVSRenderer().plan(state))
        case .nftables: return NftablesRenderer().renderFull(state).parts
        case .iptables:
            var saved: [IPFamily: String] = [:]
            for fam in state.config.families {
                let r = try ToolProcess.run(["ip", "netns", "exec", netns, variant.tool("save", family: fam)])
                guard r.status == 0 else { throw BenchError("\(variant.tool("save", family: fam)) failed: \(r.stderr)") }
                saved[fam] = r.stdout
            }
            return IptablesRenderer().renderFull(state, saved: saved).parts
        }
    }

    /// The delta text the tools would be fed for `diff`. For nftables, as the applier sends it: the
    /// per-count objects (shared chains, their sets and maps) that an earlier script created — the full
    /// load or a previous delta, tracked in `record` — are not re-added (`NftTransaction.droppingExisting`).
    /// For IPVS: the operations as `IPVSToolText.delta`, with re-adds of draining real servers as the
    /// applier does them (`FloorRecord.ipvsFloorOperations`).
    func incrementalParts(_ diff: StateDiff, state: ProxyState, record: inout FloorRecord) -> [RenderedPart] {
        switch backend {
        case .ipvs:
            let ops = IPVSRenderer().renderIncremental(diff, state: state).operations
            return IPVSToolText.delta(record.ipvsFloorOperations(ops))
        case .nftables:
            var out = record.nftRenderer.renderIncremental(diff, state: state)
            let current = record.nft
            out.transaction = out.transaction.droppingExisting(sets: { current.tables[$0]?.elements[$1] != nil },
                                                               chains: { current.tables[$0]?.chains.contains($1) == true })
            record.nft = record.nft.applying(out.transaction)
            return out.isEmpty ? [] : out.parts
        case .iptables:
            let out = IptablesRenderer().renderIncremental(diff, state: state)
            return out.isEmpty ? [] : out.parts
        }
    }

    /// Feeds `parts` to their tools in `netns` (`nft -f FILE`, `ip -batch FILE`, `ipset restore`,
    /// `ipvsadm -R`, `iptables-restore --noflush -w`), from files; returns the seconds the tools took.
    /// `scratch` tracks the text files so Ctrl-C removes them too. `ipvsadm -R` reports a failed
    /// line on stderr and goes on (its status is the last line's), so any stderr from it fails too.
    /// `onPart` receives each part with its own seconds (the cold floor's per-tool split).
    func feed(_ parts: [RenderedPart], netns: String, scratch: BenchNamespaces? = nil,
              onPart: (RenderedPart, Double) -> Void = { _, _ in }) throws -> Double {
        var total = 0.0
        for part in parts where !part.text.isEmpty {
            let file = NSTemporaryDirectory() + "\(netns)-\(part.name)"
            scratch?.addScratch(file)
            defer { if let scratch { scratch.removeScratch(file) } else { try? FileManager.default.removeItem(atPath: file) } }
            try Data(part.text.utf8).write(to: URL(fileURLWithPath: file))
            let argv = ["ip", "netns", "exec", netns] + command(for: part, file: file)
            let env = ["XTABLES_LOCKFILE=\(lockFile)"]
            let (r, seconds) = try timed {
                try Self.takesFileArgument(part) ? ToolProcess.run(argv, environment: env)
                    : ToolProcess.run(argv, stdinFile: file, environment: env)
            }
            let ipvsadmComplained = part.command == IPVSToolText.ipvsadmRestore && !r.stderr.isEmpty
            guard r.status == 0, !ipvsadmComplained else {
                throw BenchError("floor: \(part.command) for \(part.name) failed: \(r.stderr.trimmingCharacters(in: .whitespacesAndNewlines).prefix(300))")
            }
            onPart(part, seconds)
            total += seconds
        }
        return total
    }

    /// `nft -f FILE` and `ip -batch FILE` read the file; the others read it on stdin.
    private static func takesFileArgument(_ part: RenderedPart) -> Bool {
        part.command.hasPrefix("nft") || part.command == IPVSToolText.ipBatch
    }

    private func command(for part: RenderedPart, file: String) -> [String] {
        if part.command.hasPrefix("nft") { return ["nft", "-f", file] }
        if part.command == IPVSToolText.ipBatch { return ["ip", "-batch", file] }
        if part.command == IPVSToolText.ipvsadmRestore { return ["ipvsadm", "-R"] }
        if part.command.hasPrefix("ipset") { return ["ipset", "restore"] }
        let family: IPFamily = part.name.hasSuffix("ipv6") ? .ipv6 : .ipv4
        return [variant.tool("restore", family: family), "--noflush", "-w"]
    }
}

/// What earlier floor scripts left in the floor's namespace that the text of the next delta
/// depends on.
struct FloorRecord: Sendable {
    /// nftables: what the full load and earlier deltas created (see `BackendRun.incrementalParts`).
    var nft = NftRecord()
    /// nftables: the renderer of the floor's full load and deltas (it remembers the endpoint
    /// positions of ClientIP-affinity ports from one render to the next, as the applier's does).
    var nftRenderer = NftablesRenderer()
    /// IPVS: real servers drained to weight 0 by an earlier delta and not deleted since (the
    /// applier deletes them later, once idle; the floor never does).
    var ipvsDraining = Set<IPVSDrainKey>()

    /// `ops` as the applier performs them on a kernel holding the draining real servers: adding
    /// one that is still draining re-weights it (`-e`) instead, as `IPVSOperation.addDestination`
    /// documents. Updates the draining set.
    mutating func ipvsFloorOperations(_ ops: [IPVSOperation]) -> [IPVSOperation] {
        ops.map { op in
            switch op {
            case let .addDestination(k, d):
                guard ipvsDraining.remove(IPVSDrainKey(service: k, destination: d.key)) != nil else { return op }
                return .updateDestination(service: k, destination: d, pendingDelete: false)
            case let .updateDestination(k, d, pending):
                let key = IPVSDrainKey(service: k, destination: d.key)
                if pending { ipvsDraining.insert(key) } else { ipvsDraining.remove(key) }
            case let .deleteDestination(k, d): ipvsDraining.remove(IPVSDrainKey(service: k, destination: d))
            case let .deleteService(k): ipvsDraining = ipvsDraining.filter { $0.service != k }
            default: break
            }
            return op
        }
    }
}

/// A real server of one virtual service.
struct IPVSDrainKey: Hashable, Sendable {
    var service: RenderIPVS.IPVSServiceKey
    var destination: RenderIPVS.IPVSDestinationKey
}
