import Diff
import Model
import Render
import SwitchyardCore

/// How many ports of a state use each address that the shared sets hold (`cluster_ips`: a
/// port's cluster IP; `hairpin`: an endpoint's address), so an incremental render deletes such
/// an element only when its last user goes, in O(change) instead of a scan of every port.
struct NftSharedAddresses: StateFollowing, Equatable {
    private(set) var clusterIPs: [IPAddress: Int] = [:]
    private(set) var endpoints: [IPAddress: Int] = [:]

    init() {}

    /// The counts of every port of `state` (every family: addresses carry theirs).
    init(_ state: ProxyState) {
        for (_, svc) in state.services {
            for i in svc.ports.indices { count(svc.ports[i], by: 1) }
        }
    }

    /// Follows `diff` (from the counted state to the next one).
    mutating func apply(_ diff: StateDiff) {
        for p in diff.removed { count(p, by: -1) }
        for c in diff.changed { count(c.old, by: -1); count(c.new, by: 1) }
        for p in diff.added { count(p, by: 1) }
    }

    /// Whether some port still uses `a` as its cluster IP.
    func usesClusterIP(_ a: IPAddress) -> Bool { clusterIPs[a] != nil }

    /// Whether some port still has an endpoint at `a` (cluster or local list).
    func usesEndpoint(_ a: IPAddress) -> Bool { endpoints[a] != nil }

    /// Adds `n` uses for each address `p` contributes (entries at zero are removed).
    private mutating func count(_ p: ServicePort, by n: Int) {
        Self.add(n, to: &clusterIPs, p.clusterIP)
        // Read in place: the lists are not copied.
        for j in p.clusterEndpoints.indices { Self.add(n, to: &endpoints, p.clusterEndpoints[j].ip) }
        for j in p.localEndpoints.indices { Self.add(n, to: &endpoints, p.localEndpoints[j].ip) }
    }

    private static func add(_ n: Int, to table: inout [IPAddress: Int], _ a: IPAddress) {
        let v = (table[a] ?? 0) + n
        table[a] = v > 0 ? v : nil
    }
}
