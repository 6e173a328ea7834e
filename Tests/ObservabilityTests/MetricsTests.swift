import Apply
import Diff
import Foundation
import Model
import Synthetic
import Testing
@testable import Observability
@testable import Sync

private let kubeProxyFamilies: [(String, String, String)] = [
    ("kubeproxy_sync_proxy_rules_duration_seconds", "histogram", "[ALPHA] SyncProxyRules latency in seconds"),
    ("kubeproxy_sync_full_proxy_rules_duration_seconds", "histogram", "[ALPHA] SyncProxyRules latency in seconds for full resyncs"),
    ("kubeproxy_sync_partial_proxy_rules_duration_seconds", "histogram", "[ALPHA] SyncProxyRules latency in seconds for partial resyncs"),
    ("kubeproxy_network_programming_duration_seconds", "histogram", "[ALPHA] In Cluster Network Programming Latency in seconds"),
    ("kubeproxy_sync_proxy_rules_last_timestamp_seconds", "gauge", "[ALPHA] The last time proxy rules were successfully synced"),
    ("kubeproxy_sync_proxy_rules_last_queued_timestamp_seconds", "gauge", "[ALPHA] The last time a sync of proxy rules was queued"),
    ("kubeproxy_sync_proxy_rules_endpoint_changes_pending", "gauge", "[ALPHA] Pending proxy rules Endpoint changes"),
    ("kubeproxy_sync_proxy_rules_endpoint_changes_total", "counter", "[ALPHA] Cumulative proxy rules Endpoint changes"),
    ("kubeproxy_sync_proxy_rules_service_changes_pending", "gauge", "[ALPHA] Pending proxy rules Service changes"),
    ("kubeproxy_sync_proxy_rules_service_changes_total", "counter", "[ALPHA] Cumulative proxy rules Service changes"),
    ("kubeproxy_sync_proxy_rules_no_local_endpoints_total", "gauge", "[ALPHA] Number of services with a Local traffic policy and no endpoints"),
    ("kubeproxy_proxy_healthz_total", "counter", "[ALPHA] Cumulative proxy healthz HTTP status"),
    ("kubeproxy_proxy_livez_total", "counter", "[ALPHA] Cumulative proxy livez HTTP status"),
]

private func record(_ kind: SyncKind, start: Date, duration: Double, success: Bool = true, latencies: [Double] = [],
                    applied: ProxyState? = nil, report: ApplyReport? = nil) -> SyncRecord {
    var r = SyncRecord(requested: kind, kind: kind, started: start, finished: start.addingTimeInterval(duration), success: success)
    r.networkProgrammingLatencies = latencies
    r.applied = success ? applied : nil
    r.report = success ? report : nil
    if !success { r.error = "boom" }
    return r
}

@Suite struct MetricsTests {
    @Test func everyKubeProxyFamilyHasHelpAndType() {
        let m = ProxyMetrics(backend: "nftables")
        let e = Exposition(m.render())
        for (name, type, help) in kubeProxyFamilies {
            #expect(e.type[name] == type, "\(name)")
            #expect(e.help[name] == help, "\(name)")
        }
        // Every sample belongs to a declared family.
        for s in e.samples {
            let family = [s.name, String(s.name.dropLast("_bucket".count)), String(s.name.dropLast("_sum".count)),
                          String(s.name.dropLast("_count".count))].first { e.type[$0] != nil }
            #expect(family != nil, "\(s.name)")
        }
    }

    @Test func histogramsUseKubeProxyBucketsAndAreCumulative() {
        let m = ProxyMetrics(backend: "iptables")
        let t = Date(timeIntervalSince1970: 1_700_000_000)
        let durations = [0.0005, 0.003, 0.003, 0.1, 2.5, 20]
        for (i, d) in durations.enumerated() {
            m.syncCompleted(record(i % 2 == 0 ? .full : .incremental, start: t, duration: d, latencies: [0.3, 61, 400]),
                            status: SyncStatus())
        }
        let e = Exposition(m.render())
        let buckets = e.values("kubeproxy_sync_proxy_rules_duration_seconds_bucket")
        #expect(buckets.map { $0.labels["le"]! } == ["0.001", "0.002", "0.004", "0.008", "0.016", "0.032", "0.064", "0.128",
                                                     "0.256", "0.512", "1.024", "2.048", "4.096", "8.192", "16.384", "+Inf"])
        let counts = buckets.map(\.value)
        #expect(zip(counts, counts.dropFirst()).allSatisfy { $0 <= $1 })
        #expect(counts == [1, 1, 3, 3, 3, 3, 3, 4, 4, 4, 4, 4, 5, 5, 5, 6])
        #expect(e.value("kubeproxy_sync_proxy_rules_duration_seconds_count") == 6)
        #expect(abs(e.value("kubeproxy_sync_proxy_rules_duration_seconds_sum")! - durations.reduce(0, +)) < 1e-6)
        #expect(e.value("kubeproxy_sync_full_proxy_rules_duration_seconds_count") == 3)
        #expect(e.value("kubeproxy_sync_partial_proxy_rules_duration_seconds_count") == 3)

        let np = e.values("kubeproxy_network_programming_duration_seconds_bucket")
        #expect(np.count == 80 + 1)
        #expect(np.first?.labels["le"] == "0.25" && np[2].labels["le"] == "1" && np[60].labels["le"] == "59")
        #expect(np[np.count - 2].labels["le"] == "300")
        #expect(e.value("kubeproxy_network_programming_duration_seconds_bucket", ["le": "0.5"]) == 6)
        #expect(e.value("kubeproxy_network_programming_duration_seconds_bucket", ["le": "65"]) == 12)
        #expect(e.value("kubeproxy_network_programming_duration_seconds_bucket", ["le": "300"]) == 12)
        #expect(e.value("kubeproxy_network_programming_duration_seconds_bucket", ["le": "+Inf"]) == 18)
        #expect(e.value("kubeproxy_network_programming_duration_seconds_count") == 18)
    }

    @Test func statusGaugesCountersAndNoLocalEndpoints() {
        let m = ProxyMetrics(backend: "nftables")
        var status = SyncStatus()
        status.lastSyncTime = Date(timeIntervalSince1970: 1_700_000_100.5)
        status.lastQueuedTime = Date(timeIntervalSince1970: 1_700_000_099)
        status.pendingEndpointChanges = 3; status.endpointChangesTotal = 40
        status.pendingServiceChanges = 2; status.serviceChangesTotal = 7
        status.failedSyncs = 1
        var itpLocal = St.port("b", hc: nil, local: [], cluster: ["10.244.1.1"]); itpLocal.internalPolicyLocal = true
        itpLocal.externalPolicyLocal = false
        let state = St.state([St.port("a", hc: 31000, local: []), St.port("c", hc: 31001, local: ["10.244.0.5"]), itpLocal])
        m.syncCompleted(record(.full, start: Date(), duration: 0.01, applied: state,
                               report: ApplyReport(full: true, rulesWritten: 12, elementsWritten: 5, bytes: 900, kernelSeconds: 0.5, driftRepaired: 2)),
                        status: status)
        m.syncCompleted(record(.incremental, start: Date(), duration: 0.01, success: false), status: status)
        m.recordProbe(livez: false, code: 200); m.recordProbe(livez: false, code: 200); m.recordProbe(livez: false, code: 503)
        m.recordProbe(livez: true, code: 200)
        let e = Exposition(m.render())
        #expect(e.value("kubeproxy_sync_proxy_rules_last_timestamp_seconds") == 1_700_000_100.5)
        #expect(e.value("kubeproxy_sync_proxy_rules_last_queued_timestamp_seconds") == 1_700_000_099)
        #expect(e.value("kubeproxy_sync_proxy_rules_endpoint_changes_pending") == 3)
        #expect(e.value("kubeproxy_sync_proxy_rules_endpoint_changes_total") == 40)
        #expect(e.value("kubeproxy_sync_proxy_rules_service_changes_pending") == 2)
        #expect(e.value("kubeproxy_sync_proxy_rules_service_changes_total") == 7)
        #expect(e.value("kubeproxy_sync_proxy_rules_no_local_endpoints_total", ["traffic_policy": "external"]) == 1)
        #expect(e.value("kubeproxy_sync_proxy_rules_no_local_endpoints_total", ["traffic_policy": "internal"]) == 1)
        #expect(e.value("kubeproxy_proxy_healthz_total", ["code": "200"]) == 2)
        #expect(e.value("kubeproxy_proxy_healthz_total", ["code": "503"]) == 1)
        #expect(e.value("kubeproxy_proxy_livez_total", ["code": "200"]) == 1)
        #expect(e.value("switchyard_sync_failures_total") == 1)
        #expect(e.value("switchyard_syncs_total", ["kind": "full", "result": "success"]) == 1)
        #expect(e.value("switchyard_syncs_total", ["kind": "incremental", "result": "failure"]) == 1)
        #expect(e.value("switchyard_applied_service_ports") == 3)
        #expect(e.value("switchyard_applied_endpoints") == 2)
        #expect(e.value("switchyard_apply_rules_last") == 12 && e.value("switchyard_apply_kernel_seconds_last") == 0.5)
        #expect(e.value("switchyard_apply_drift_repaired_total") == 2)
        #expect(e.value("switchyard_apply_bytes_sent_total") == 900)
        #expect(e.value("switchyard_info", ["backend": "nftables"]) == 1)
    }

    /// Incremental syncs adjust the applied-state gauges by their diff; the result equals a recount.
    /// Seeded, so a failing walk can be replayed.
    @Test(arguments: [1, 2, 3, 0x5EED] as [UInt64])
    func appliedCountsFollowIncrementalDiffs(seed: UInt64) {
        let m = ProxyMetrics(backend: "nftables")
        var ports = [St.port("a", hc: 31000, local: []), St.port("b", hc: nil, local: ["10.244.0.5"], cluster: ["10.244.1.1", "10.244.1.2"]),
                     St.port("c", hc: nil, local: [], cluster: ["10.244.1.3"])]
        var state = St.state(ports)
        m.syncCompleted(record(.full, start: Date(), duration: 0.01, applied: state), status: SyncStatus())
        #expect(m.appliedCounts == AppliedCounts(state))
        var rng = SplitMix64(seed: seed)
        for step in 0..<40 {
            var next = ports
            // Removals can empty the list: then the only possible edit is an addition.
            let i = next.isEmpty ? 0 : Int.random(in: 0..<next.count, using: &rng)
            switch next.isEmpty ? 2 : Int.random(in: 0..<3, using: &rng) {
            case 0: next.remove(at: i)
            case 1:
                let local = Bool.random(using: &rng) ? ["10.244.0.\(step + 10)"] : []
                next[i] = St.port(next[i].key.service.name, hc: 31000, local: local, cluster: ["10.244.2.\(step + 1)"])
            default: next.append(St.port("s\(step)", hc: nil, local: [], cluster: (0..<(step % 4)).map { "10.244.3.\($0 + 1)" }))
            }
            let newState = St.state(next)
            var r = record(.incremental, start: Date(), duration: 0.001, applied: newState)
            r.diff = StateDiff.full(old: state, new: newState)
            m.syncCompleted(r, status: SyncStatus())
            #expect(m.appliedCounts == AppliedCounts(newState), "step \(step)")
            ports = next; state = newState
        }
        let e = Exposition(m.render())
        #expect(e.value("switchyard_applied_service_ports") == Double(AppliedCounts(state).ports))
        #expect(e.value("switchyard_applied_endpoints") == Double(state.counts.endpoints))
    }

    @Test func numbersAndLabelsAreFormattedLikeTheGoClient() {
        #expect(PrometheusText.format(1) == "1")
        #expect(PrometheusText.format(0.25) == "0.25")
        #expect(PrometheusText.format(1_700_000_100.5) == "1700000100.5")
        #expect(PrometheusText.format(.infinity) == "+Inf")
        #expect(PrometheusText.format(.nan) == "NaN")
        var t = PrometheusText()
        t.sample("x", labels: [("a", "q\"u\\o\nte")], value: 2)
        #expect(t.text == "x{a=\"q\\\"u\\\\o\\nte\"} 2\n")
    }
}
