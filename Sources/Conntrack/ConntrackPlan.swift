import Diff
import Model
import SwitchyardCore

/// Which conntrack entries to delete after a sync, so UDP (and SCTP) flows follow the rules.
///
/// Conntrack NATs only a flow's first packet through the rules; every later packet follows the
/// entry. For connectionless protocols nothing ever ends a flow whose endpoint vanished (a TCP
/// peer would get a reset), so a client reusing its source port keeps talking to a dead endpoint
/// (kubernetes#19029, #139628) — or, when the entry was made while no DNAT rule existed, past the
/// service altogether (#48370). Pure: no I/O, deterministic order, no duplicates.
///
/// Semantics follow kube-proxy's `pkg/proxy/conntrack` cleanup, with these deviations:
/// - Endpoints are matched by address AND port (kube-proxy: address only), so a changed target
///   port is cleaned up, and one service port's endpoints never shield another's.
/// - SCTP is treated like UDP (kube-proxy ≥1.32 cleans UDP only; earlier versions did both).
/// - A frontend that starts being served (new port, zero→some endpoints, new external/LB IP)
///   deletes only entries that were not DNATed — the actual blackholes — instead of every entry
///   to the address (#122740): a restart (old state empty) keeps established flows.
/// - "Reachable" endpoints are `ServicePort.allReachableEndpoints` (cluster ∪ local). kube-proxy
///   keeps flows to every *serving* endpoint, including ones filtered out by topology or left out
///   as terminating while ready ones exist; the model does not carry those, so their flows are
///   cut once when they leave the reachable set.
/// - NodePorts match on any destination address, like kube-proxy.
public enum ConntrackPlan {
    /// Deletions for an incremental sync: removed or replaced endpoints of connectionless ports,
    /// and blackholes on frontends that just started being served.
    ///
    /// `diff.requiresFullSync` is not looked at: a diff carries no states, so for a full sync use
    /// `forFullSync(old:new:)`.
    public static func forDiff(_ diff: StateDiff) -> [ConntrackDeletion] {
        var out = DeletionList()
        for port in diff.removed where needsCleanup(port) {
            out.endpointsGone(port.allReachableEndpoints, frontends: frontends(port), port: port)
        }
        for port in diff.added where needsCleanup(port) {
            if !port.allReachableEndpoints.isEmpty { out.blackholes(frontends(port), port: port) }
        }
        for change in diff.changed { out.add(change) }
        return out.items
    }

    /// Deletions for a full sync from `old` (the last applied state; empty after a restart) to
    /// `new`: everything `forDiff` would delete for the full diff, plus, for every connectionless
    /// port of `new`, either its untranslated entries (`reconcile: false`) or every entry to its
    /// frontends whose reply source is not one of its endpoints (`reconcile: true`, kube-proxy's
    /// reconciler; also catches endpoints that vanished while nobody was watching). Neither
    /// touches established flows to endpoints that are still there.
    public static func forFullSync(old: ProxyState, new: ProxyState, reconcile: Bool = true) -> [ConntrackDeletion] {
        var out = DeletionList()
        for d in forDiff(StateDiff.full(old: old, new: new)) { out.append(d) }
        for port in new.allPorts where needsCleanup(port) {
            let endpoints = port.allReachableEndpoints
            if reconcile {
                let allowed = Array(Set(endpoints.map(address))).sorted()
                out.frontends(frontends(port), port: port, match: .noneOf(allowed))
            } else if !endpoints.isEmpty {
                out.blackholes(frontends(port), port: port)
            }
        }
        return out.items
    }

    /// Deletions after one successful sync, as the daemon plans them: from `appliedDiff` (the diff
    /// an incremental sync applied on top of `old`) when both are known — O(change), the states
    /// are not compared — else `forFullSync(old:new:)` from `old` (an empty state after a start).
    public static func forSync(old: ProxyState?, new: ProxyState, appliedDiff: StateDiff?) -> [ConntrackDeletion] {
        if old != nil, let appliedDiff { return forDiff(appliedDiff) }
        return forFullSync(old: old ?? ProxyState(config: new.config), new: new)
    }

    /// Only connectionless protocols need cleanup: a stale TCP flow is reset by its peer.
    public static func needsCleanup(_ port: ServicePort) -> Bool { port.key.proto != .tcp }

    /// A frontend: original destination address (nil = any: NodePort) and port.
    struct Frontend: Hashable { var address: IPAddress?; var port: UInt16 }

    /// ClusterIP:port, each external IP and load-balancer IP :port, and the NodePort on any address.
    static func frontends(_ p: ServicePort) -> [Frontend] {
        var out = [Frontend(address: p.clusterIP, port: p.port)]
        for ip in p.externalIPs + p.loadBalancerIPs { out.append(Frontend(address: ip, port: p.port)) }
        if let np = p.nodePort { out.append(Frontend(address: nil, port: np)) }
        return out
    }

    static func address(_ e: Endpoint) -> ConntrackAddress { ConntrackAddress(ip: e.ip, port: e.port) }
}

/// An ordered, duplicate-free list of deletions under construction.
struct DeletionList {
    private(set) var items: [ConntrackDeletion] = []
    private var seen = Set<ConntrackDeletion>()

    mutating func append(_ d: ConntrackDeletion) { if seen.insert(d).inserted { items.append(d) } }

    mutating func frontends(_ fronts: [ConntrackPlan.Frontend], port: ServicePort, match: ReplySourceMatch) {
        for f in fronts {
            append(ConntrackDeletion(family: port.key.family, proto: port.key.proto, destination: f.address,
                                     destinationPort: f.port, replySource: match))
        }
    }

    mutating func blackholes(_ fronts: [ConntrackPlan.Frontend], port: ServicePort) {
        frontends(fronts, port: port, match: .notTranslated)
    }

    mutating func endpointsGone(_ endpoints: [Endpoint], frontends fronts: [ConntrackPlan.Frontend], port: ServicePort) {
        var done = Set<ConntrackAddress>()
        for e in endpoints where done.insert(ConntrackPlan.address(e)).inserted {
            frontends(fronts, port: port, match: .endpoint(ConntrackPlan.address(e)))
        }
    }

    /// A changed port: endpoints that left the reachable set, on old and new frontends; blackholes
    /// on frontends that started being served.
    mutating func add(_ change: PortChange) {
        let old = change.old, new = change.new
        let oldNeeds = ConntrackPlan.needsCleanup(old), newNeeds = ConntrackPlan.needsCleanup(new)
        guard oldNeeds || newNeeds else { return }
        let oldFronts = ConntrackPlan.frontends(old), newFronts = ConntrackPlan.frontends(new)
        guard oldNeeds, newNeeds, old.key.family == new.key.family, old.key.proto == new.key.proto else {
            // The key changed protocol or family (not produced by StateDiff, but be safe):
            // treat as a removal and an addition.
            if oldNeeds { endpointsGone(old.allReachableEndpoints, frontends: oldFronts, port: old) }
            if newNeeds, !new.allReachableEndpoints.isEmpty { blackholes(newFronts, port: new) }
            return
        }
        let stillThere = Set(new.allReachableEndpoints.map(ConntrackPlan.address))
        let gone = old.allReachableEndpoints.filter { !stillThere.contains(ConntrackPlan.address($0)) }
        var fronts = oldFronts
        for f in newFronts where !fronts.contains(f) { fronts.append(f) }
        endpointsGone(gone, frontends: fronts, port: new)
        guard !new.allReachableEndpoints.isEmpty else { return }
        if old.allReachableEndpoints.isEmpty {
            blackholes(newFronts, port: new)
        } else {
            blackholes(newFronts.filter { !oldFronts.contains($0) }, port: new)
        }
    }
}
