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
    /// (iptables: rendered against that namespace's own save output, as the applier does).
    /// Empty for IPVS: its virtual servers go over netlink, no tool takes them as text, so it has
    /// no floor of the same kind (a partial one, ipset + iptables only, would mislead).
    func fullParts(_ state: ProxyState, netns: String) throws -> [RenderedPart] {
        switch backend {
        case .ipvs: return []
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
    func incrementalParts(_ diff: StateDiff, state: ProxyState, record: inout NftRecord) -> [RenderedPart] {
        switch backend {
        case .ipvs: return []
        case .nftables:
            var out = NftablesRenderer().renderIncremental(diff, state: state)
            let current = record
            out.transaction = out.transaction.droppingExisting(sets: { current.tables[$0]?.elements[$1] != nil },
                                                               chains: { current.tables[$0]?.chains.contains($1) == true })
            record = record.applying(out.transaction)
            return out.isEmpty ? [] : out.parts
        case .iptables:
            let out = IptablesRenderer().renderIncremental(diff, state: state)
            return out.isEmpty ? [] : out.parts
        }
    }

    /// Feeds `parts` to their tools in `netns` (`nft -f FILE`, `ipset restore`,
    /// `iptables-restore --noflush -w`), from files; returns the seconds the tools took.
    /// `scratch` tracks the text files so Ctrl-C removes them too.
    func feed(_ parts: [RenderedPart], netns: String, scratch: BenchNamespaces? = nil) throws -> Double {
        var total = 0.0
        for part in parts where !part.text.isEmpty {
            let file = NSTemporaryDirectory() + "\(netns)-\(part.name)"
            scratch?.addScratch(file)
            defer { if let scratch { scratch.removeScratch(file) } else { try? FileManager.default.removeItem(atPath: file) } }
            try Data(part.text.utf8).write(to: URL(fileURLWithPath: file))
            let argv = ["ip", "netns", "exec", netns] + command(for: part, file: file)
            let env = ["XTABLES_LOCKFILE=\(lockFile)"]
            let (r, seconds) = try timed {
                try part.command.hasPrefix("nft") ? ToolProcess.run(argv, environment: env)
                    : ToolProcess.run(argv, stdinFile: file, environment: env)
            }
            guard r.status == 0 else {
                throw BenchError("floor: \(part.command) for \(part.name) failed: \(r.stderr.trimmingCharacters(in: .whitespacesAndNewlines).prefix(300))")
            }
            total += seconds
        }
        return total
    }

    private func command(for part: RenderedPart, file: String) -> [String] {
        if part.command.hasPrefix("nft") { return ["nft", "-f", file] }
        if part.command.hasPrefix("ipset") { return ["ipset", "restore"] }
        let family: IPFamily = part.name.hasSuffix("ipv6") ? .ipv6 : .ipv4
        return [variant.tool("restore", family: family), "--noflush", "-w"]
    }
}
