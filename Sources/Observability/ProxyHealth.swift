import Foundation
import KubeObjects
import NIOConcurrencyHelpers
import Sync

/// The answer to a `/healthz` or `/livez` probe.
public struct HealthAnswer: Hashable, Sendable {
    public var healthy: Bool
    /// HTTP status: 200 or 503.
    public var code: Int { healthy ? 200 : 503 }
    /// kube-proxy's JSON body.
    public var body: String
}

/// kube-proxy's proxy health (`/healthz`, `/livez`), evaluated from the engine's `SyncStatus`.
///
/// Healthy when nothing is queued, or the oldest queued change is younger than `healthTimeout`
/// (2 × syncPeriod by default), or the source is still listing (startup). `/healthz` additionally
/// requires the node to be eligible (not being deleted); `/livez` ignores that.
public final class ProxyHealth: SyncObserver, Sendable {
    private struct State { var status = SyncStatus(); var nodeEligible = true }
    private let state = NIOLockedValueBox(State())
    public let healthTimeout: TimeInterval
    public let clock: any SyncClock

    public init(healthTimeout: TimeInterval, clock: any SyncClock = SystemSyncClock()) {
        self.healthTimeout = healthTimeout; self.clock = clock
    }

    /// Whether the proxy is healthy from a status at `now` (node eligibility aside).
    public static func isHealthy(_ status: SyncStatus, now: Date, timeout: TimeInterval) -> Bool {
        guard status.sourceSynced, let oldest = status.oldestPendingQueuedTime else { return true }
        return now.timeIntervalSince(oldest) < timeout
    }

    /// Marks the node ineligible (deleted, or tainted `ToBeDeletedByClusterAutoscaler`) or eligible again.
    public func setNodeEligible(_ eligible: Bool) { state.withLockedValue { $0.nodeEligible = eligible } }

    /// Follows the own Node through a batch of watch events (`NodeEligibility.after`); batches that
    /// do not mention it change nothing. Eligible until the first event says otherwise, as in kube-proxy.
    public func observe(_ events: [ObjectEvent], nodeName: String) {
        if let eligible = NodeEligibility.after(events, nodeName: nodeName) { setNodeEligible(eligible) }
    }

    /// Whether the node is eligible (the `nodeEligible` field of `/healthz`).
    public var nodeEligible: Bool { state.withLockedValue { $0.nodeEligible } }

    /// The proxy health alone, for health-check node ports' `serviceProxyHealthy`.
    public var proxyHealthy: Bool {
        let s = state.withLockedValue { $0 }
        return Self.isHealthy(s.status, now: clock.now(), timeout: healthTimeout)
    }

    /// The `/healthz` answer.
    public func healthz() -> HealthAnswer { answer(livez: false) }

    /// The `/livez` answer.
    public func livez() -> HealthAnswer { answer(livez: true) }

    private func answer(livez: Bool) -> HealthAnswer {
        let s = state.withLockedValue { $0 }
        let now = clock.now()
        var healthy = Self.isHealthy(s.status, now: now, timeout: healthTimeout)
        if !livez { healthy = healthy && s.nodeEligible }
        // Like kube-proxy: a healthy answer reports lastUpdated = now.
        let lastUpdated = healthy ? now : s.status.lastSyncTime
        var body = "{\"lastUpdated\": \"\(GoTime.string(lastUpdated))\",\"currentTime\": \"\(GoTime.string(now))\""
        body += livez ? "}" : ", \"nodeEligible\": \(s.nodeEligible)}"
        return HealthAnswer(healthy: healthy, body: body)
    }

    public func statusChanged(_ status: SyncStatus) { state.withLockedValue { $0.status = status } }
    public func syncCompleted(_ record: SyncRecord, status: SyncStatus) { statusChanged(status) }
}

/// Formats dates the way Go prints a UTC `time.Time` (`2006-01-02 15:04:05.999999999 +0000 UTC`),
/// the zero time for nil.
enum GoTime {
    static func string(_ date: Date?) -> String {
        guard let date else { return "0001-01-01 00:00:00 +0000 UTC" }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let seconds = date.timeIntervalSince1970.rounded(.down)
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: Date(timeIntervalSince1970: seconds))
        func pad(_ v: Int?, _ n: Int) -> String { let s = String(v ?? 0); return String(repeating: "0", count: max(0, n - s.count)) + s }
        var out = "\(pad(c.year, 4))-\(pad(c.month, 2))-\(pad(c.day, 2)) \(pad(c.hour, 2)):\(pad(c.minute, 2)):\(pad(c.second, 2))"
        let nanos = Int(((date.timeIntervalSince1970 - seconds) * 1e9).rounded())
        if nanos > 0 && nanos < 1_000_000_000 {
            var frac = pad(nanos, 9)
            while frac.hasSuffix("0") { frac.removeLast() }
            out += "." + frac
        }
        return out + " +0000 UTC"
    }
}
