import Apply
import Diff
import Foundation
import KubeObjects
import Model
import SwitchyardCore
import Synthetic
import Testing
@testable import Bench

/// The bench's pure pieces and its fakes-only logic (no root needed).
@Suite struct BenchPartsTests {
    static func state(services: Int = 300) -> (SyntheticCluster, ProxyState) {
        let cluster = SyntheticCluster(seed: 3, services: services, endpointsPerService: 4)
        var tracker = ProxyStateTracker(config: BenchCluster(origin: .synthetic(cluster)).nodeConfig)
        _ = tracker.apply(cluster.objects().map { .upsert($0) })
        return (cluster, tracker.commit().state)
    }

    @Test func firstPacketTargetsAreForwardedTCPv4PortsSpreadOverTheList() {
        let (_, state) = Self.state()
        let targets = FirstPacketProbe.pickTargets(state, count: 20)
        #expect(targets.count == 20)
        for t in targets {
            #expect(t.key.proto == .tcp && t.key.family == .ipv4)
            #expect(t.internalTraffic == .forward(.cluster) && !t.clusterEndpoints.isEmpty)
        }
        let eligible = state.ports(family: .ipv4).filter { $0.key.proto == .tcp && $0.internalTraffic == .forward(.cluster) && !$0.clusterEndpoints.isEmpty }
            .sorted { $0.key < $1.key }
        // Spread: the first pick is the front of the list, the last one in its final twentieth.
        #expect(targets.first?.key == eligible.first?.key)
        let lastIndex = eligible.firstIndex { $0.key == targets.last?.key } ?? 0
        #expect(lastIndex >= eligible.count * 19 / 20 - 1)
        #expect(Set(targets.map(\.key)).count == targets.count)
        #expect(FirstPacketProbe.pickTargets(state, count: 0).isEmpty)
    }

    @Test func replayChurnFlipsReadinessAddsFreshClusterIPsAndRemovesWithSlices() throws {
        let cluster = SyntheticCluster(seed: 4, services: 50, endpointsPerService: 3)
        let file = NSTemporaryDirectory() + "sy-bench-replay-\(UUID().uuidString).yaml"
        defer { try? FileManager.default.removeItem(atPath: file) }
        try ManifestWriter.yaml(cluster.objects()).write(to: URL(fileURLWithPath: file))
        let replay = try ReplayCluster.load(file)
        #expect(replay.serviceCount == 50)
        #expect(replay.nodeName == cluster.nodeName)
        #expect(replay.clusterCIDRs.contains(CIDR("10.244.0.0/16")!))

        var tracker = ProxyStateTracker(config: BenchCluster(origin: .replay(replay)).nodeConfig)
        _ = tracker.apply(replay.objects.map { .upsert($0) })
        let before = tracker.commit().state
        let usedIPs = Set(before.allPorts.map(\.clusterIP))

        var ep = ReplayChurn(cluster: replay, kind: .endpointChange, seed: 1)
        _ = tracker.apply(ep.nextChange())
        let afterEndpoint = tracker.commit()
        #expect(afterEndpoint.changedServices.count == 1)
        #expect(afterEndpoint.state != before)

        var add = ReplayChurn(cluster: replay, kind: .serviceAdd, seed: 1)
        let added = add.nextChange()
        _ = tracker.apply(added)
        let afterAdd = tracker.commit()
        let newName = try #require(afterAdd.changedServices.first)
        let newPorts = try #require(afterAdd.state.services[newName]?.ports)
        #expect(!newPorts.isEmpty)
        for p in newPorts { #expect(!usedIPs.contains(p.clusterIP)); #expect(p.nodePort == nil) }

        var remove = ReplayChurn(cluster: replay, kind: .serviceRemove, seed: 1)
        let removal = remove.nextChange()
        #expect(removal.count >= 2)   // the service and its slices
        _ = tracker.apply(removal)
        let afterRemove = tracker.commit()
        let gone = try #require(afterRemove.changedServices.first)
        #expect(afterRemove.state.services[gone] == nil)
    }

    @Test func replayOfAFileWithoutServicesFailsClearly() throws {
        let file = NSTemporaryDirectory() + "sy-bench-empty-\(UUID().uuidString).yaml"
        defer { try? FileManager.default.removeItem(atPath: file) }
        try Data("apiVersion: v1\nkind: List\nitems: []\n".utf8).write(to: URL(fileURLWithPath: file))
        do { _ = try ReplayCluster.load(file); Issue.record("accepted a dump without services") } catch {
            #expect("\(error)".contains("no Service"))
        }
        #expect(throws: BenchConfigError.self) {
            try BenchConfig.validated(services: "10", endpointsPerService: 1, backends: "nftables", seed: 1, runs: 1,
                                      outDir: "o", manifests: "/nonexistent/dump.yaml")
        }
    }

    @Test func expectationsAreMetBeforeOrAfterTheWaitTimeOutAndEndWithTheSource() async {
        let watch = Expectations<String>()
        watch.offer("sync done services=5")   // before any registration: matches nothing later
        let early = watch.expect { $0.contains("services=5") }
        watch.offer("unrelated")
        watch.offer("sync done services=5")
        #expect(await watch.wait(early, timeout: .seconds(5))?.value == "sync done services=5")

        let late = watch.expect { $0.hasPrefix("late") }
        Task { try? await Task.sleep(for: .milliseconds(20)); watch.offer("late line") }
        #expect(await watch.wait(late, timeout: .seconds(5))?.value == "late line")

        let never = watch.expect { $0 == "never" }
        watch.offer("x")
        #expect(await watch.wait(never, timeout: .milliseconds(50)) == nil)

        let pending = watch.expect { $0 == "never" }
        Task { try? await Task.sleep(for: .milliseconds(20)); watch.finish() }
        let start = ContinuousClock.now
        #expect(await watch.wait(pending, timeout: .seconds(30)) == nil)
        #expect(ContinuousClock.now - start < .seconds(10))   // ended by finish(), not by the timeout
        let afterEnd = watch.expect { _ in true }
        #expect(await watch.wait(afterEnd, timeout: .seconds(30)) == nil)
    }

    @Test func proxyDaemonReadsVmHWMAndLogfmtFields() {
        let status = "Name:\tswitchyard\nVmPeak:\t  900000 kB\nVmHWM:\t   81234 kB\nVmRSS:\t   80000 kB\n"
        #expect(ProxyDaemon.vmHWM(status: status) == 81234 * 1024)
        #expect(ProxyDaemon.vmHWM(status: "Name:\tx\n") == nil)
        let line = #"time=2026-01-01T00:00:00.000Z level=info logger=switchyard.sync msg="sync done" kind=full services=200 programming_latency_ms="1.5,2.0""#
        #expect(ProxyDaemon.field("kind", in: line) == "full")
        #expect(ProxyDaemon.field("services", in: line) == "200")
        #expect(ProxyDaemon.field("programming_latency_ms", in: line) == "1.5,2.0")
        #expect(ProxyDaemon.field("msg", in: line) == "sync done")
        #expect(ProxyDaemon.field("absent", in: line) == nil)
        #expect(NetworkProgrammingLatency.expectInitialSync(services: 200)(line))
        #expect(!NetworkProgrammingLatency.expectInitialSync(services: 201)(line))
        #expect(!NetworkProgrammingLatency.expectChangeSynced(line))
        #expect(NetworkProgrammingLatency.expectChangeSynced(line + " programming_latency_max_ms=2.0"))
        #expect(NetworkProgrammingLatency.expectChangeSynced(#"level=error msg="sync failed; retrying with a full sync after backoff""#))
    }

    @Test func daemonArgumentsProgramOnlyTheBenchNamespace() {
        let node = NodeConfig(nodeName: "node-1", clusterCIDRs: [CIDR("10.244.0.0/16")!, CIDR("fd00:10:244::/48")!])
        let argv = ProxyDaemon.arguments(switchyard: "/bin/sy", netns: "sy-bench-1-a-3-npl", backend: .ipvs,
                                         kubeconfig: "/tmp/k", node: node, iptablesVariant: "legacy")
        #expect(Array(argv.prefix(6)) == ["ip", "netns", "exec", "sy-bench-1-a-3-npl", "/bin/sy", "run"])
        let joined = argv.joined(separator: " ")
        for part in ["--backend ipvs", "--kubeconfig /tmp/k", "--node node-1", "--min-sync-period 0s",
                     "--cluster-cidr 10.244.0.0/16", "--cluster-cidr fd00:10:244::/48", "--iptables-variant legacy"] {
            #expect(joined.contains(part), "\(part)")
        }
        let nft = ProxyDaemon.arguments(switchyard: "/bin/sy", netns: "n", backend: .nftables, kubeconfig: "/tmp/k", node: node, iptablesVariant: "nft")
        #expect(!nft.contains("--iptables-variant"))
    }

    @Test func changesAreStampedWithATriggerTimeTheWatcherParses() throws {
        let slice = EndpointSlice(metadata: ObjectMeta(name: "s", namespace: "default", resourceVersion: "7"), addressType: "IPv4",
                                  endpoints: [], ports: [])
        let stamp = NetworkProgrammingLatency.triggerTime(Date(timeIntervalSince1970: 1_700_000_000.25))
        guard case .endpointSlice(let out) = NetworkProgrammingLatency.stamped(.endpointSlice(slice), triggerTime: stamp) else {
            Issue.record("not a slice"); return
        }
        #expect(out.metadata.resourceVersion == nil)
        // RFC 3339 in UTC with fractional seconds, as ClusterWatcher.parseTriggerTime reads it.
        #expect(out.metadata.annotations?["endpoints.kubernetes.io/last-change-trigger-time"] == "2023-11-14T22:13:20.250Z")
        #expect(NetworkProgrammingLatency.kubeconfig(server: URL(string: "http://127.0.0.1:4242")!).contains("server: \"http://127.0.0.1:4242\""))
    }

    @Test func firstPacketChartPlotsMillisecondsPerBackend() {
        var a = BenchResult(backend: "nftables", services: 1000, endpointsPerService: 10); a.firstPacketP50 = 0.0001
        var b = BenchResult(backend: "iptables", services: 1000, endpointsPerService: 10); b.firstPacketP50 = 0.0004
        let c = BenchResult(backend: "iptables", services: 5000, endpointsPerService: 10)
        let svg = SVGChart.firstPacket([a, b, c])
        #expect(svg.components(separatedBy: "<polyline").count - 1 == 2)
        #expect(svg.contains("first packet p50 (ms)"))
        #expect(SVGChart.firstPacket([c]).components(separatedBy: "<polyline").count - 1 == 0)
    }

    @Test func newOptionsAreValidated() {
        func v(probes: Int = 10, churnSeconds: Double = 1, churnBound: Double = 0.05) throws -> BenchConfig {
            try BenchConfig.validated(services: "10", endpointsPerService: 1, backends: "nftables", seed: 1, runs: 1, outDir: "o",
                                      probes: probes, churnSeconds: churnSeconds, churnBound: churnBound)
        }
        #expect(throws: BenchConfigError.self) { try v(probes: -1) }
        #expect(throws: BenchConfigError.self) { try v(churnSeconds: -1) }
        #expect(throws: BenchConfigError.self) { try v(churnSeconds: .nan) }
        #expect(throws: BenchConfigError.self) { try v(churnBound: 0) }
        #expect((try? v(probes: 0, churnSeconds: 0))?.probes == 0)
    }
}

@Suite struct BenchTargetsTests {
    @Test func targetsSectionMarksMetMissedAndUnmeasured() {
        var r = BenchResult(backend: "nftables", services: 10000, endpointsPerService: 10)
        r.coldSyncSeconds = 2.5; r.applySeconds = 2.25; r.endpointChangeP99 = 0.002
        let text = BenchReport.targetsSection([r])
        let rows = text.split(separator: "\n").filter { $0.hasPrefix("| nftables") }
        #expect(rows.first { $0.contains("cold sync") }?.hasSuffix("✗ |") == true)
        #expect(rows.first { $0.contains("one endpoint p99") }?.hasSuffix("✓ |") == true)
        #expect(rows.first { $0.contains("npl p99") }?.hasSuffix("– |") == true)
        // (2.5 − 2.25) / 2.5 = 10 % of the cold sync is Switchyard's own.
        #expect(rows.first { $0.contains("share") }?.contains("10 %") == true)
    }
}

extension BenchSerialTests {
    @Suite struct ChurnRampTests {
    /// An applier that takes a fixed time per apply.
    struct SlowApplier: ProxyApplier {
        let delay: Duration
        var name: String { "fake" }
        func applyFull(_ state: ProxyState) async throws -> ApplyReport { try await Task.sleep(for: delay); return ApplyReport(full: true) }
        func applyIncremental(_ diff: StateDiff, state: ProxyState) async throws -> ApplyReport {
            try await Task.sleep(for: delay); return ApplyReport(full: false)
        }
        func cleanup() async throws {}
    }

    @Test func churnRampStopsAtTheFirstRateOverTheBound() async throws {
        let (cluster, _) = BenchPartsTests.state(services: 100)
        func ramp(delay: Duration, bound: Double, rates: [Int]) async throws -> [SustainedChurn.Step] {
            var tracker = ProxyStateTracker(config: BenchCluster(origin: .synthetic(cluster)).nodeConfig)
            _ = tracker.apply(cluster.objects().map { .upsert($0) })
            _ = tracker.commit()
            var churn: any ChangeStream = ChurnGenerator(cluster: cluster, kind: .mixed, seed: 2)
            return try await SustainedChurn(rates: rates, seconds: 0.3, bound: bound)
                .run(tracker: &tracker, churn: &churn, applier: SlowApplier(delay: delay))
        }
        // A generous bound: other tests share the cores; an instant applier must still be fed every change.
        let fast = try await ramp(delay: .zero, bound: 5, rates: [10, 20])
        #expect(fast.map(\.rate) == [10, 20] && fast.allSatisfy(\.held))
        #expect(fast.allSatisfy { $0.changes == Int(Double($0.rate) * 0.3) })
        // Every apply takes 120 ms: no change can come in under 10 ms, and the ramp stops there.
        let slow = try await ramp(delay: .milliseconds(120), bound: 0.01, rates: [20, 40])
        #expect(slow.count == 1 && !slow[0].held && slow[0].p99 >= 0.12)
        // Slow applies coalesce: fewer syncs than changes.
        #expect(slow[0].syncs < slow[0].changes)
    }

    }
}
