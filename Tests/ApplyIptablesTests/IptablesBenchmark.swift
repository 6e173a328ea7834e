import Apply
import Diff
import Foundation
import KubeObjects
import Model
import RenderIptables
import Synthetic
import SwitchyardCore
import Testing
@testable import ApplyIptables

/// Large-cluster timings, run only with `SWITCHYARD_IPT_BENCH=1` (root). Services from
/// `SWITCHYARD_IPT_BENCH_SERVICES` (default 10000), 10 endpoints each; variant from
/// `SWITCHYARD_IPT_BENCH_VARIANT` (nft or legacy, default nft).
///
///     SWITCHYARD_IPT_BENCH=1 swift test --filter IptablesBenchmark
///
/// Each Switchyard step is repeated without Switchyard in the path ("floor"): the same restore
/// text piped to `iptables-restore --noflush -w` (via `ip netns exec`, as the applier does) in a
/// second namespace holding the same rules.
@Suite("iptables applier benchmark", .serialized,
       .enabled(if: IptNamespace.available && ProcessInfo.processInfo.environment["SWITCHYARD_IPT_BENCH"] == "1"))
struct IptablesBenchmark {
    static var env: [String: String] { ProcessInfo.processInfo.environment }
    static var services: Int { Int(env["SWITCHYARD_IPT_BENCH_SERVICES"] ?? "") ?? 10000 }
    static var variant: IptablesVariant { IptablesVariant(rawValue: env["SWITCHYARD_IPT_BENCH_VARIANT"] ?? "") ?? .nft }

    @Test func fullAndIncremental() async throws {
        let v = Self.variant
        let cluster = SyntheticCluster(seed: 42, services: Self.services, endpointsPerService: 10)
        var tracker = ProxyStateTracker(config: NodeConfig(nodeName: cluster.nodeName, clusterCIDRs: [CIDR(SyntheticCluster.clusterCIDR)!]))
        _ = tracker.apply(cluster.objects().map { ObjectEvent.upsert($0) })
        var state = tracker.commit().state
        let renderer = IptablesRenderer()
        try await IptNamespace.with { ns in
            try await IptNamespace.with { bare in
                let a = IptablesApplier(variant: v, netns: ns.name)
                let first = try await timed { try await a.applyFull(state) }
                print("bench iptables-\(v) \(Self.services)x10 first full: \(ms(first.1)) ms total, tools \(ms(first.0.kernelSeconds)) ms, \(first.0.rulesWritten) rule commands, \(first.0.bytes) bytes")
                // Floor: the same text (the renderer is deterministic; an empty namespace saves no rules).
                let saved = try bare.save(v.rawValue, .ipv4)
                let full = renderer.renderFull(state, saved: [.ipv4: saved]).families[0]
                try bare.exec(["ipset", "restore"], stdin: full.ipsetRestore).check()
                print("bench floor first full: iptables-restore \(ms(try Self.floor(bare, v, full.restore))) ms")

                let resync = try await timed { try await a.applyFull(state) }
                print("bench iptables-\(v) resync full: \(ms(resync.1)) ms total, tools \(ms(resync.0.kernelSeconds)) ms, drift \(resync.0.driftRepaired)")

                for kind in [ChurnGenerator.Kind.endpointChange, .serviceAdd] {
                    var churn = ChurnGenerator(cluster: cluster, kind: kind, seed: 7)
                    var totals: [Double] = [], tools: [Double] = [], floors: [Double] = []
                    for _ in 0..<5 {
                        _ = tracker.apply(churn.nextChange())
                        let ch = tracker.commit()
                        let diff = StateDiff.between(old: ch.previous, new: ch.state, services: ch.changedServices, nodeChanged: ch.nodeChanged)
                        let r = try await timed { try await a.applyIncremental(diff, state: ch.state) }
                        #expect(!r.0.full)
                        totals.append(r.1); tools.append(r.0.kernelSeconds)
                        for f in renderer.renderIncremental(diff, state: ch.state).families {
                            if !f.ipsetRestore.isEmpty { try bare.exec(["ipset", "restore"], stdin: f.ipsetRestore).check() }
                            if !f.restore.isEmpty { floors.append(try Self.floor(bare, v, f.restore)) }
                        }
                        state = ch.state
                    }
                    totals.sort(); tools.sort(); floors.sort()
                    print("bench iptables-\(v) one \(kind): total median \(ms(totals[2])) ms (min \(ms(totals[0])), max \(ms(totals[4]))), tools median \(ms(tools[2])) ms; floor iptables-restore median \(ms(floors[floors.count / 2])) ms")
                }
                #expect(SavedView.ours(try ns.save(v.rawValue, .ipv4)) == SavedView.ours(try bare.save(v.rawValue, .ipv4)))
            }
        }
    }

    /// Seconds for a bare `iptables-restore --noflush -w` of `text` in `ns`.
    static func floor(_ ns: IptNamespace, _ v: IptablesVariant, _ text: String) throws -> Double {
        let start = ContinuousClock.now
        let r = try ToolProcess.run(["ip", "netns", "exec", ns.name, v.tool("restore", family: .ipv4), "--noflush", "-w"], input: text)
        let d = ContinuousClock.now - start
        #expect(r.status == 0, "\(r.stderr)")
        return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }
}

func timed<T>(_ body: () async throws -> T) async rethrows -> (T, Double) {
    let start = ContinuousClock.now
    let r = try await body()
    let d = ContinuousClock.now - start
    return (r, Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18)
}

func ms(_ s: Double) -> String { String(format: "%.1f", s * 1000) }
