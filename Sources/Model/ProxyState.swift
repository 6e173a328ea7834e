import HashTreeCollections
import SwitchyardCore

/// The complete, backend-neutral proxy state of one node. A persistent map, so keeping the
/// last applied state beside the new one costs only what changed.
public struct ProxyState: Sendable, Equatable {
    public var config: NodeConfig
    public var node: NodeInfo
    /// Every handled service with at least one port in a proxied family.
    public var services: TreeDictionary<ServiceName, ServiceState>

    public init(config: NodeConfig, node: NodeInfo? = nil, services: TreeDictionary<ServiceName, ServiceState> = [:]) {
        self.config = config
        self.node = node ?? NodeInfo(name: config.nodeName)
        self.services = services
    }

    /// All ports of one family, sorted by key (deterministic rendering order).
    public func ports(family: IPFamily) -> [ServicePort] {
        var out: [ServicePort] = []
        for (_, svc) in services { for p in svc.ports where p.key.family == family { out.append(p) } }
        return Self.sortedByKey(out)
    }

    /// All ports of both families, sorted by key.
    public var allPorts: [ServicePort] {
        var out: [ServicePort] = []
        for (_, svc) in services { out.append(contentsOf: svc.ports) }
        return Self.sortedByKey(out)
    }

    /// `ports` sorted by key. The keys are sorted through an index array, so the large
    /// `ServicePort` values are moved once instead of at every swap.
    static func sortedByKey(_ ports: [ServicePort]) -> [ServicePort] {
        guard ports.count > 1 else { return ports }
        let keys = ports.map(\.key)
        var order = Array(keys.indices)
        order.sort { keys[$0] < keys[$1] }
        return order.map { ports[$0] }
    }

    /// Families that have at least one port.
    public var activeFamilies: [IPFamily] {
        var seen = Set<IPFamily>()
        for (_, svc) in services { for p in svc.ports { seen.insert(p.key.family) } }
        return seen.sorted()
    }

    /// ClusterIP masquerade rule for a family, from `--masquerade-all` and `--cluster-cidr`.
    public func clusterMasquerade(family: IPFamily) -> ClusterMasquerade {
        if config.masqueradeAll { return .all }
        let cidrs = config.clusterCIDRs.filter { $0.family == family }
        return cidrs.isEmpty ? .none : .sourcesOutside(cidrs)
    }

    /// Pod CIDRs of a family, used to recognise pod sources (eTP=Local short-circuit).
    public func podCIDRs(family: IPFamily) -> [CIDR] { config.clusterCIDRs.filter { $0.family == family } }

    /// Where NodePorts listen for a family.
    public func nodePortAddresses(family: IPFamily) -> NodePortAddresses {
        if let cidrs = config.nodePortAddresses {
            let fam = cidrs.filter { $0.family == family }
            if fam.contains(where: { $0.prefixLength == 0 }) { return .allLocal }
            return .addresses(node.addresses.filter { ip in fam.contains { $0.contains(ip) } })
        }
        let fam = node.addresses.filter { $0.family == family }
        return fam.isEmpty ? .allLocal : .addresses(fam)
    }

    /// Number of service ports and endpoints, for logs and metrics.
    public var counts: (ports: Int, endpoints: Int) {
        var p = 0, e = 0
        for (_, svc) in services { p += svc.ports.count; for port in svc.ports { e += port.allReachableEndpoints.count } }
        return (p, e)
    }
}
