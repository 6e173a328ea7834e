import Diff
import Model

/// Ports, endpoints, and Local-policy ports left without local endpoints in the applied state (kube-proxy
/// counts the latter per service port). Kept up to date from each incremental sync's diff, so the metrics
/// never walk the whole state except after a full sync.
struct AppliedCounts: Hashable, Sendable {
    var ports = 0
    var endpoints = 0
    var noLocalInternal = 0
    var noLocalExternal = 0

    init() {}

    /// Counts every port of `state`.
    init(_ state: ProxyState) {
        for (_, svc) in state.services { for p in svc.ports { add(p, 1) } }
    }

    /// The counts after `diff` was applied.
    mutating func apply(_ diff: StateDiff) {
        for p in diff.removed { add(p, -1) }
        for p in diff.added { add(p, 1) }
        for c in diff.changed { add(c.old, -1); add(c.new, 1) }
    }

    private mutating func add(_ p: ServicePort, _ sign: Int) {
        ports += sign
        endpoints += sign * Self.reachable(p)
        if p.internalPolicyLocal && p.localEndpoints.isEmpty { noLocalInternal += sign }
        if p.externalPolicyLocal && p.localEndpoints.isEmpty { noLocalExternal += sign }
    }

    /// `p.allReachableEndpoints.count` without building the merged list when no endpoint is local.
    private static func reachable(_ p: ServicePort) -> Int {
        if p.localEndpoints.isEmpty { return p.clusterEndpoints.count }
        return Set(p.clusterEndpoints).union(p.localEndpoints).count
    }
}
