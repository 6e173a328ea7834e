import Apply
import Foundation
import Model
import NIOConcurrencyHelpers
import Sync

/// The daemon's metrics, under kube-proxy's names (so existing dashboards work) plus `switchyard_*`.
/// Fed by `SyncEngine` as a `SyncObserver` and by the health server; rendered on each scrape.
public final class ProxyMetrics: SyncObserver, Sendable {
    private struct State {
        var status = SyncStatus()
        var syncDuration = Histogram(bounds: Histogram.syncDurationBounds)
        var fullSyncDuration = Histogram(bounds: Histogram.syncDurationBounds)
        var partialSyncDuration = Histogram(bounds: Histogram.syncDurationBounds)
        var networkProgramming = Histogram(bounds: Histogram.networkProgrammingBounds)
        var healthz: [Int: Int] = [:]
        var livez: [Int: Int] = [:]
        var syncs: [String: Int] = [:]          // "kind/result"
        /// Counts over the applied state; nil before the first successful sync.
        var applied: AppliedCounts?
        var lastReport = ApplyReport(full: true)
        var rulesWrittenTotal = 0, elementsWrittenTotal = 0, bytesSentTotal = 0, driftRepairedTotal = 0
    }

    private let state = NIOLockedValueBox(State())
    /// The backend's name, the `backend` label of `switchyard_info`.
    public let backend: String

    public init(backend: String) { self.backend = backend }

    // MARK: - SyncObserver

    public func statusChanged(_ status: SyncStatus) { state.withLockedValue { $0.status = status } }

    public func syncCompleted(_ record: SyncRecord, status: SyncStatus) {
        // An incremental sync adjusts the counts by its diff (O(change)); a full sync counts anew.
        let previous = state.withLockedValue { $0.applied }
        var counts: AppliedCounts?
        if let applied = record.applied, record.success {
            if record.kind == .incremental, let diff = record.diff, var c = previous {
                c.apply(diff)
                counts = c
            } else {
                counts = AppliedCounts(applied)
            }
        }
        state.withLockedValue { s in
            s.status = status
            s.syncDuration.observe(record.duration)
            if record.kind == .full { s.fullSyncDuration.observe(record.duration) } else { s.partialSyncDuration.observe(record.duration) }
            for latency in record.networkProgrammingLatencies { s.networkProgramming.observe(latency) }
            s.syncs["\(record.kind.rawValue)/\(record.success ? "success" : "failure")", default: 0] += 1
            if let report = record.report {
                s.lastReport = report
                s.rulesWrittenTotal += report.rulesWritten
                s.elementsWrittenTotal += report.elementsWritten
                s.bytesSentTotal += report.bytes
                s.driftRepairedTotal += report.driftRepaired
            }
            if let counts { s.applied = counts }
        }
    }

    /// Counts one `/healthz` or `/livez` answer.
    public func recordProbe(livez: Bool, code: Int) {
        state.withLockedValue { s in
            if livez { s.livez[code, default: 0] += 1 } else { s.healthz[code, default: 0] += 1 }
        }
    }

    /// The applied-state counts the last sync left (nil before the first).
    var appliedCounts: AppliedCounts? { state.withLockedValue { $0.applied } }

    // MARK: - Exposition

    /// The Prometheus text exposition of every metric.
    public func render() -> String {
        let s = state.withLockedValue { $0 }
        var out = PrometheusText()
        renderKubeProxy(s, into: &out)
        renderSwitchyard(s, into: &out)
        return out.text
    }

    private func renderKubeProxy(_ s: State, into out: inout PrometheusText) {
        out.histogram("kubeproxy_sync_proxy_rules_duration_seconds", help: "[ALPHA] SyncProxyRules latency in seconds", s.syncDuration)
        out.histogram("kubeproxy_sync_full_proxy_rules_duration_seconds",
                      help: "[ALPHA] SyncProxyRules latency in seconds for full resyncs", s.fullSyncDuration)
        out.histogram("kubeproxy_sync_partial_proxy_rules_duration_seconds",
                      help: "[ALPHA] SyncProxyRules latency in seconds for partial resyncs", s.partialSyncDuration)
        out.histogram("kubeproxy_network_programming_duration_seconds",
                      help: "[ALPHA] In Cluster Network Programming Latency in seconds", s.networkProgramming)
        gauge(&out, "kubeproxy_sync_proxy_rules_last_timestamp_seconds",
              "[ALPHA] The last time proxy rules were successfully synced", s.status.lastSyncTime?.timeIntervalSince1970 ?? 0)
        gauge(&out, "kubeproxy_sync_proxy_rules_last_queued_timestamp_seconds",
              "[ALPHA] The last time a sync of proxy rules was queued", s.status.lastQueuedTime?.timeIntervalSince1970 ?? 0)
        gauge(&out, "kubeproxy_sync_proxy_rules_endpoint_changes_pending", "[ALPHA] Pending proxy rules Endpoint changes",
              Double(s.status.pendingEndpointChanges))
        counter(&out, "kubeproxy_sync_proxy_rules_endpoint_changes_total", "[ALPHA] Cumulative proxy rules Endpoint changes",
                Double(s.status.endpointChangesTotal))
        gauge(&out, "kubeproxy_sync_proxy_rules_service_changes_pending", "[ALPHA] Pending proxy rules Service changes",
              Double(s.status.pendingServiceChanges))
        counter(&out, "kubeproxy_sync_proxy_rules_service_changes_total", "[ALPHA] Cumulative proxy rules Service changes",
                Double(s.status.serviceChangesTotal))
        out.family("kubeproxy_sync_proxy_rules_no_local_endpoints_total", type: .gauge,
                   help: "[ALPHA] Number of services with a Local traffic policy and no endpoints")
        out.sample("kubeproxy_sync_proxy_rules_no_local_endpoints_total", labels: [("traffic_policy", "external")],
                   value: Double(s.applied?.noLocalExternal ?? 0))
        out.sample("kubeproxy_sync_proxy_rules_no_local_endpoints_total", labels: [("traffic_policy", "internal")],
                   value: Double(s.applied?.noLocalInternal ?? 0))
        codes(&out, "kubeproxy_proxy_healthz_total", "[ALPHA] Cumulative proxy healthz HTTP status", s.healthz)
        codes(&out, "kubeproxy_proxy_livez_total", "[ALPHA] Cumulative proxy livez HTTP status", s.livez)
    }

    private func renderSwitchyard(_ s: State, into out: inout PrometheusText) {
        out.family("switchyard_info", type: .gauge, help: "Switchyard backend in use")
        out.sample("switchyard_info", labels: [("backend", backend)], value: 1)
        out.family("switchyard_syncs_total", type: .counter, help: "Sync attempts by kind and result")
        for key in s.syncs.keys.sorted() {
            let parts = key.split(separator: "/").map(String.init)
            out.sample("switchyard_syncs_total", labels: [("kind", parts[0]), ("result", parts[1])], value: Double(s.syncs[key]!))
        }
        counter(&out, "switchyard_sync_failures_total", "Failed sync attempts", Double(s.status.failedSyncs))
        gauge(&out, "switchyard_sync_consecutive_failures", "Failed sync attempts since the last success",
              Double(s.status.consecutiveFailures))
        gauge(&out, "switchyard_applied_service_ports", "Service ports (per family) in the applied state", Double(s.applied?.ports ?? 0))
        gauge(&out, "switchyard_applied_endpoints", "Endpoints reachable from some path of an applied service port",
              Double(s.applied?.endpoints ?? 0))
        gauge(&out, "switchyard_apply_rules_last", "Rules written by the last apply", Double(s.lastReport.rulesWritten))
        gauge(&out, "switchyard_apply_elements_last", "Set and map elements written by the last apply",
              Double(s.lastReport.elementsWritten))
        gauge(&out, "switchyard_apply_kernel_seconds_last", "Kernel or tool time of the last apply",
              s.lastReport.kernelSeconds)
        counter(&out, "switchyard_apply_drift_repaired_total", "Kernel drift found and repaired by full syncs",
                Double(s.driftRepairedTotal))
        counter(&out, "switchyard_apply_rules_written_total", "Rules written by all applies", Double(s.rulesWrittenTotal))
        counter(&out, "switchyard_apply_elements_written_total", "Set and map elements written by all applies",
                Double(s.elementsWrittenTotal))
        counter(&out, "switchyard_apply_bytes_sent_total", "Bytes sent to the kernel or tools by all applies",
                Double(s.bytesSentTotal))
    }

    private func gauge(_ out: inout PrometheusText, _ name: String, _ help: String, _ v: Double) {
        out.family(name, type: .gauge, help: help)
        out.sample(name, value: v)
    }

    private func counter(_ out: inout PrometheusText, _ name: String, _ help: String, _ v: Double) {
        out.family(name, type: .counter, help: help)
        out.sample(name, value: v)
    }

    private func codes(_ out: inout PrometheusText, _ name: String, _ help: String, _ counts: [Int: Int]) {
        out.family(name, type: .counter, help: help)
        for code in counts.keys.sorted() { out.sample(name, labels: [("code", String(code))], value: Double(counts[code]!)) }
    }
}
