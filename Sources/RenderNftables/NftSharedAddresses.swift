import Diff
import Model
import Render
import SwitchyardCore

/// How many ports of a state use each address that the shared sets hold (`cluster_ips`: a
/// port's cluster IP; `hairpin`: an endpoint's address), so an incremental render deletes such
/// an element only when its last user goes, in O(change) instead of a scan of every port.
struct NftSharedAddresses: PortCounting, Equatable {
    private(set) var clusterIPs: [IPAddress: Int] = [:]
    private(set) var endpoints: [IPAddress: Int] = [:]

    init() {}

    /// Whether some port still uses `a` as its cluster IP.
    func usesClusterIP(_ a: IPAddress) -> Bool { clusterIPs[a] != nil }

    /// Whether some port still has an endpoint at `a` (cluster or local list).
    func usesEndpoint(_ a: IPAddress) -> Bool { endpoints[a] != nil }

    /// Adds `n` uses for each address `p` contributes (every family: addresses carry theirs).
    mutating func count(_ p: ServicePort, by n: Int) {
        clusterIPs.addCount(n, to: p.clusterIP)
        // Read in place: the lists are not copied.
        for j in p.clusterEndpoints.indices { endpoints.addCount(n, to: p.clusterEndpoints[j].ip) }
        for j in p.localEndpoints.indices { endpoints.addCount(n, to: p.localEndpoints[j].ip) }
    }
}
