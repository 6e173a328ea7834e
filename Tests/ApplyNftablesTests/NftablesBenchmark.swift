import Apply
import Diff
import Foundation
import KubeObjects
import Model
import RenderNftables
import Synthetic
import SwitchyardCore
import Testing
@testable import ApplyNftables

/// Large-cluster timings, run only with `SWITCHYARD_NFT_BENCH=1` (root). Services from
/// `SWITCHYARD_NFT_BENCH_SERVICES` (default 10000), 10 endpoints each.
///
///     SWITCHYARD_NFT_BENCH=1 swift test --filter NftablesBenchmark
@Suite("nftables applier benchmark", .serialized,
       .enabled(if: TestNamespace.available && ProcessInfo.processInfo.environment["SWITCHYARD_NFT_BENCH"] == "1"))
struct NftablesBenchmark {
    static var services: Int { Int(ProcessInfo.processInfo.environment["SWITCHYARD_NFT_BENCH_SERVICES"] ?? "") ?? 10000 }

    @Test(arguments: ProcessInfo.processInfo.environment["SWITCHYARD_NFT_BENCH_PROCESS"] == "1" ? [NftTransport.library, .process] : [.library])
    func fullAndIncremental(transport: NftTransport) async throws {
        // SWITCHYARD_NFT_BENCH_NO_AFFINITY=1: the default mix without its 5 % ClientIP-affinity services.
        var mix = ServiceMix.default
        if ProcessInfo.processInfo.environment["SWITCHYARD_NFT_BENCH_NO_AFFINITY"] == "1" { mix.clientIPAffinity = 0 }
        let cluster = SyntheticCluster(seed: 42, services: Self.services, endpointsPerService: 10, mix: mix)
        var tracker = ProxyStateTracker(config: NodeConfig(nodeName: cluster.nodeName, clusterCIDRs: [CIDR(SyntheticCluster.clusterCIDR)!]))
        _ = tracker.apply(cluster.objects().map { ObjectEvent.upsert($0) })
        var state = tracker.commit().state
        // SWITCHYARD_NFT_BENCH_RULES_VIA_NFT=1: affinity chains and rules through nft (as before NftRuleCodec).
        let rulesViaNft = ProcessInfo.processInfo.environment["SWITCHYARD_NFT_BENCH_RULES_VIA_NFT"] == "1"
        try await TestNamespace.with { ns in
            let applier = NftablesApplier(netns: ns.name, transport: transport, ruleFastPath: !rulesViaNft)
            let first = try await timed { try await applier.applyFull(state) }
            print("bench \(transport) \(Self.services)x10 first full: \(ms(first.1)) ms total, kernel \(ms(first.0.kernelSeconds)) ms, \(first.0.elementsWritten) elements, \(first.0.bytes) bytes")
            if let l = await applier.lastFullLoad { print("bench first full steps: \(l)") }
            let plan = NftLoadPlan(full: NftablesRenderer().renderFull(state).transaction, inventory: [:],
                                   loadable: { NftElementCodec.layout($0) != nil }, ruleLoadable: rulesViaNft ? nil : { $0.body != nil })
            let lines = plan.skeleton.text.split(separator: "\n")
            let aff = lines.filter { $0.contains("aff") }.count
            print("bench skeleton: \(lines.count) lines, \(aff) of them affinity chains/sets/maps/rules, \(plan.skeleton.text.utf8.count) bytes; " +
                  "batch: \(plan.chains.count) affinity chains with \(plan.chains.reduce(0) { $0 + $1.rules.count }) rules")
            // A restarted applier first reads the affinity positions back (one dump per position map).
            let restarted = NftablesApplier(netns: ns.name, transport: transport)
            let readBack = try await timed { await restarted.rememberKernelPositions(state) }
            print("bench affinity positions read back: \(ms(readBack.1)) ms")
            let second = try await timed { try await applier.applyFull(state) }
            print("bench \(transport) replace full: \(ms(second.1)) ms total, kernel \(ms(second.0.kernelSeconds)) ms, drift \(second.0.driftRepaired)")
            if let l = await applier.lastFullLoad { print("bench replace full steps: \(l)") }
            var affinity: [Double] = [], affinityCPU: [Double] = []
            for kind in [ChurnGenerator.Kind.endpointChange, .serviceAdd, .serviceRemove] {
                var churn = ChurnGenerator(cluster: cluster, kind: kind, seed: 7)
                var kernel: [Double] = [], total: [Double] = [], cpu: [Double] = []
                for _ in 0..<20 {
                    let events = churn.nextChange()
                    _ = tracker.apply(events)
                    let ch = tracker.commit()
                    let diff = StateDiff.between(old: ch.previous, new: ch.state, services: ch.changedServices, nodeChanged: ch.nodeChanged)
                    if ProcessInfo.processInfo.environment["SWITCHYARD_NFT_BENCH_TRACE"] == "1" {
                        let out = NftablesRenderer().renderIncremental(diff, state: ch.state)
                        print("delta \(kind): " + out.transaction.commands.map(Self.tag).joined(separator: " "))
                    }
                    let cpuBefore = Self.processCPUSeconds()
                    let r = try await timed { try await applier.applyIncremental(diff, state: ch.state) }
                    cpu.append(Self.processCPUSeconds() - cpuBefore)
                    #expect(!r.0.full)
                    kernel.append(r.0.kernelSeconds); total.append(r.1)
                    if r.0.rulesWritten > 0 { affinity.append(r.1); affinityCPU.append(cpu.last!) }
                    if ProcessInfo.processInfo.environment["SWITCHYARD_NFT_BENCH_TRACE"] == "1" {
                        print("timing \(kind): kernel \(ms(r.0.kernelSeconds)) ms, \(r.0.elementsWritten) elements, \(r.0.rulesWritten) rules")
                    }
                    state = ch.state
                }
                // Wall time far above CPU time (user + system, the kernel commit runs in our syscall)
                // means the process waited for a core: on a loaded machine that is where p99 comes from.
                let slowest = total.indices.max { total[$0] < total[$1] }!
                kernel.sort(); total.sort()
                print("bench \(transport) incremental \(kind): kernel median \(ms(kernel[10])) ms max \(ms(kernel.last!)) ms; total median \(ms(total[10])) ms max \(ms(total.last!)) ms, CPU of the slowest \(ms(cpu[slowest])) ms, CPU max \(ms(cpu.max()!)) ms")
            }
            // Endpoint changes on ClientIP-affinity ports only: one remote endpoint replaced (same
            // counts, so no new chain), straight on the model (the churn above picks an affinity
            // service 1 time in 20).
            var affKernel: [Double] = [], affTotal: [Double] = [], affCPU: [Double] = [], affRules = 0
            let sticky = Array(state.allPorts.filter { $0.affinityTimeout != nil && $0.clusterEndpoints.contains { !$0.isLocal } }.prefix(20))
            for (i, old) in sticky.enumerated() {
                var new = old
                let j = old.clusterEndpoints.firstIndex { !$0.isLocal }!
                let was = old.clusterEndpoints[j]
                let ip = old.key.family == .ipv4 ? IPAddress(v4: 0x0AF5_0000 + UInt32(i) + 1) : IPAddress(v6High: 0xfd00_0010_0245_0000, low: UInt64(i) + 1)
                new.clusterEndpoints[j] = Endpoint(ip: ip, port: was.port, isLocal: false)
                var next = state
                next.services[old.key.service]!.ports = next.services[old.key.service]!.ports.map { $0.key == old.key ? new : $0 }
                let cpuBefore = Self.processCPUSeconds()
                let r = try await timed { try await applier.applyIncremental(StateDiff(changed: [PortChange(old: old, new: new)]), state: next) }
                affCPU.append(Self.processCPUSeconds() - cpuBefore)
                #expect(!r.0.full && r.0.rulesWritten == 0, "an affinity endpoint change is element deltas only")
                affKernel.append(r.0.kernelSeconds); affTotal.append(r.1); affRules += r.0.rulesWritten
                state = next
            }
            if !affTotal.isEmpty {
                let slowest = affTotal.indices.max { affTotal[$0] < affTotal[$1] }!
                print("bench \(transport) affinity endpoint change: CPU of the slowest \(ms(affCPU[slowest])) ms, CPU max \(ms(affCPU.max()!)) ms")
                affKernel.sort(); affTotal.sort()
                print("bench \(transport) affinity endpoint change (\(affTotal.count)): kernel median \(ms(affKernel[affKernel.count / 2])) ms max \(ms(affKernel.last!)) ms; " +
                      "total median \(ms(affTotal[affTotal.count / 2])) ms max \(ms(affTotal.last!)) ms; rules written \(affRules); " +
                      "total " + affTotal.map { ms($0) }.joined(separator: " ") + " ms")
            }
            // Deltas that wrote rules: a new endpoint count (shared chain, also per affinity timeout).
            if !affinity.isEmpty {
                print("bench \(transport) deltas with rules (\(rulesViaNft ? "nft" : "netlink")): \(affinity.count), total " +
                      affinity.map { ms($0) }.joined(separator: " ") + " ms; CPU " + affinityCPU.map { ms($0) }.joined(separator: " ") + " ms")
            }
        }
    }

    /// User + system CPU time of this process so far.
    static func processCPUSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    static func tag(_ c: NftCommand) -> String {
        switch c {
        case .addElements(_, let s, _): return "+" + s
        case .deleteElements(_, let s, _): return "-" + s
        default: return "OTHER:" + String(describing: c).prefix(60)
        }
    }

    private func timed<T>(_ body: () async throws -> T) async throws -> (T, Double) {
        let start = ContinuousClock.now
        let r = try await body()
        return (r, (ContinuousClock.now - start).seconds)
    }
    private func ms(_ s: Double) -> String { String(format: "%.2f", s * 1000) }
}
