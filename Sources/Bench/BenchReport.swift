import SwitchyardCore
import Foundation

/// Writes bench results as JSON, a Markdown report and a terminal table. Pure.
public enum BenchReport {
    /// `{"results": [{...}, ...]}` with the documented keys (null when not measured), one object per line.
    public static func json(_ results: [BenchResult]) -> String {
        let objects = results.map { r in
            "  {" + r.fields.map { "\(JSONText.string($0.0)): \($0.1.encoded)" }.joined(separator: ", ") + "}"
        }
        return "{\"results\": [\n" + objects.joined(separator: ",\n") + (objects.isEmpty ? "" : "\n") + "]}\n"
    }

    /// Table columns: header and cell text.
    static let columns: [(String, @Sendable (BenchResult) -> String)] = [
        ("backend", { $0.backend }),
        ("services", { "\($0.services)" }),
        ("eps", { "\($0.endpointsPerService)" }),
        ("cold sync", { seconds($0.coldSyncSeconds) }),
        ("model", { seconds($0.modelSeconds) }),
        ("render", { seconds($0.renderSeconds) }),
        ("apply", { seconds($0.applySeconds) }),
        ("floor cold", { seconds($0.kernelFloorColdSeconds) }),
        ("ep change p50", { seconds($0.endpointChangeP50) }),
        ("ep change p99", { seconds($0.endpointChangeP99) }),
        ("svc add p99", { seconds($0.serviceAddP99) }),
        ("svc remove p99", { seconds($0.serviceRemoveP99) }),
        ("floor change", { seconds($0.kernelFloorChangeSeconds) }),
        ("churn held", { $0.churnHeldPerSecond.map { "\($0)/s" } ?? "–" }),
        ("npl p99", { seconds($0.nplP99) }),
        ("1st pkt p50", { seconds($0.firstPacketP50) }),
        ("1st pkt p99", { seconds($0.firstPacketP99) }),
        ("rules", { $0.rules.map(String.init) ?? "–" }),
        ("elements", { $0.elements.map(String.init) ?? "–" }),
        ("proxy RSS", { bytes($0.rssPeakBytes) }),
        ("bench RSS", { bytes($0.benchProcessRSSPeakBytes) }),
    ]

    /// A Markdown table of `results`.
    public static func markdownTable(_ results: [BenchResult]) -> String {
        var lines = ["| " + columns.map(\.0).joined(separator: " | ") + " |",
                     "|" + columns.map { _ in "---" }.joined(separator: "|") + "|"]
        for r in results { lines.append("| " + columns.map { $0.1(r) }.joined(separator: " | ") + " |") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A fixed-width table for the terminal.
    public static func terminalTable(_ results: [BenchResult]) -> String {
        let rows = [columns.map(\.0)] + results.map { r in columns.map { $0.1(r) } }
        let widths = columns.indices.map { i in rows.map { $0[i].count }.max() ?? 0 }
        return rows.map { row in
            row.indices.map { i in
                let pad = String(repeating: " ", count: widths[i] - row[i].count)
                return i < 3 ? row[i] + pad : pad + row[i]
            }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }

    /// The Markdown report: what was run, the table, and what this version does not measure.
    public static func markdown(_ results: [BenchResult], config: BenchConfig, host: String) -> String {
        """
        # Switchyard bench

        Host: \(host). Backends: \(config.backends.map(\.rawValue).joined(separator: ", ")); \
        \(config.manifests.map { "cluster: replay of `\($0)`" } ?? "services: \(config.services.map(String.init).joined(separator: ", ")); \(config.endpointsPerService) endpoints per service"); seed \(config.seed); \(config.runs) runs per incremental measurement.

        Every measurement ran in a fresh network namespace (`sy-bench-…`), deleted afterwards.

        \(markdownTable(results))
        ![cold sync vs services](sync-latency.svg) ![first-packet latency vs services](first-packet.svg)

        \(targetsSection(results))

        - **cold sync**: model (tracker apply + commit of every object) + the applier's full sync \
        (which renders again, and for iptables also reads `iptables-save`).
        - **render**: rendering the full state once, alone. **apply**: the applier's tool/kernel time (`ApplyReport.kernelSeconds`).
        - **floor cold**: the same full text fed directly to `nft -f` / `ipset restore` + `iptables-restore --noflush -w` \
        in a second fresh namespace — the kernel's and tool's own cost, without Switchyard. IPVS: the same plan fed to \
        `ip -batch` (dummy interface and its addresses), `ipset restore`, `ipvsadm -R` (virtual and real servers) and \
        `iptables-restore --noflush -w`, in a second fresh namespace inside the guest.
        - **ep change / svc add / svc remove**: one change end to end (model + diff + render + apply), nearest-rank p50/p99 \
        over the runs. **floor change**: median of the endpoint-change delta text fed to the tool directly \
        (IPVS: the real-server changes as `ipvsadm -R` lines, `-a`/`-e`/`-d`, plus the hairpin set's `ipset restore` lines).
        - **churn held**: the highest rate of mixed changes (80 % endpoint changes, 10 % service adds, 10 % removes) \
        whose p99 latency (scheduled arrival → the coalesced sync that carried it returned) stayed under \
        \(seconds(config.churnBound)), over \(config.churnSeconds) s per rate (rates \(SustainedChurn.defaultRates.map(String.init).joined(separator: ", "))/s; \
        the ramp stops at the first rate not held — `churn_missed_per_s` in results.json).
        - **npl**: network-programming latency: `switchyard run` (this binary, a child process in the row's namespace) \
        watches the in-process test API server through a kubeconfig (min-sync-period 0); an EndpointSlice written to \
        the server until the daemon logged the sync that applied it, p99 over the runs, which start 3 s after the \
        daemon's initial sync (steady state). The one change written right after the initial sync is reported apart \
        (`npl_first_after_initial_sync_s` in results.json): the daemon is then still busy with what follows a full sync.
        - **1st pkt**: TCP connect latency (SYN → SYN/ACK at the client) of new connections from a client namespace to \
        up to 20 ClusterIPs spread over the service list, through the proxy namespace's rules to an echo server in a \
        backend namespace; every connection is new, so its first packet walks the NAT rules.
        - **proxy RSS**: the proxy's own peak resident set: VmHWM of that `switchyard run` daemon at the end of the npl \
        step (initial list, full sync and the changes); `–` when the npl step did not run. **bench RSS**: the whole bench \
        process (`getrusage`; it also holds the cluster, the test API server's copy and the measurements), monotonic across rows.
        \(notes(results, config: config))
        """
    }

    /// One target check: the figure, the bound, and whether it is met (nil: not measured).
    struct Target {
        let what: String
        let bound: Double
        let value: @Sendable (BenchResult) -> Double?
        let format: @Sendable (Double) -> String
    }

    /// The issue's targets (stated for 10,000 services × 10 endpoints) per backend.
    static func targets(for backend: String) -> [Target] {
        let s: @Sendable (Double) -> String = { seconds($0) }
        var out: [Target] = []
        switch backend {
        case "nftables":
            out += [Target(what: "cold sync", bound: 2, value: { $0.coldSyncSeconds }, format: s),
                    Target(what: "one endpoint p99", bound: 0.005, value: { $0.endpointChangeP99 }, format: s)]
        case "iptables":
            out += [Target(what: "cold sync", bound: 10, value: { $0.coldSyncSeconds }, format: s),
                    Target(what: "one endpoint p99", bound: 0.1, value: { $0.endpointChangeP99 }, format: s)]
        case "ipvs":
            out += [Target(what: "cold sync", bound: 1, value: { $0.coldSyncSeconds }, format: s),
                    Target(what: "one endpoint p99", bound: 0.002, value: { $0.endpointChangeP99 }, format: s)]
        default: break
        }
        out += [Target(what: "npl p99", bound: 0.05, value: { $0.nplP99 }, format: s),
                Target(what: "proxy peak RSS", bound: 150_000_000, value: { $0.rssPeakBytes.map(Double.init) },
                       format: { String(format: "%.0f MB", $0 / 1_000_000) }),
                Target(what: "Switchyard's share of the cold sync", bound: 0.2, value: { r in
                    guard let cold = r.coldSyncSeconds, let apply = r.applySeconds, cold > 0 else { return nil }
                    return max(0, cold - apply) / cold
                }, format: { String(format: "%.0f %%", $0 * 100) })]
        return out
    }

    /// A Markdown table of every row against its targets: ✓ met, ✗ missed, – not measured.
    static func targetsSection(_ results: [BenchResult]) -> String {
        var lines = ["Targets (issue #7, stated for 10,000 services × 10 endpoints; smaller rows are shown for the trend):", "",
                     "| backend | services | target | bound | measured | met |", "|---|---|---|---|---|---|"]
        for r in results {
            for t in targets(for: r.backend) {
                let v = t.value(r)
                let met = v.map { $0 <= t.bound ? "✓" : "✗" } ?? "–"
                lines.append("| \(r.backend) | \(r.services) | \(t.what) | ≤ \(t.format(t.bound)) | \(v.map(t.format) ?? "–") | \(met) |")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Closing notes: IPVS not measured, and every row error.
    static func notes(_ results: [BenchResult], config: BenchConfig) -> String {
        var lines = [""]
        if config.backends.contains(.ipvs) {
            lines.append("IPVS rows ran inside a User-Mode Linux guest (1 CPU, its own kernel; the host kernel has no IPVS), so they are not directly comparable with the host rows. Their floor is the stock tools' cost, and for IPVS it is not a lower bound: `ipvsadm -R` opens a new generic-netlink socket and resolves the IPVS family for every line (two requests per virtual or real server), where Switchyard's applier sends them over one socket, so its floor can exceed its apply time; without ipvsadm installed the floor columns stay null and the row says why.")
        } else {
            lines.append("Not measured in this run: IPVS (`--backends ipvs` runs it inside User-Mode Linux).")
        }
        if let m = config.manifests { lines.append("Cluster: replay of `\(m)` (the first Node in the dump is the proxy's node).") }
        for r in results where r.error != nil {
            lines.append("- \(r.backend) at \(r.services) services: \(r.error ?? "")")
        }
        return lines.joined(separator: "\n")
    }

    static func seconds(_ s: Double?) -> String {
        guard let s else { return "–" }
        if s < 1 { return String(format: "%.2f ms", s * 1000) }
        return String(format: "%.2f s", s)
    }

    static func bytes(_ b: Int?) -> String {
        guard let b else { return "–" }
        return String(format: "%.0f MiB", Double(b) / 1_048_576)
    }
}
