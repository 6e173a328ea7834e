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
    public func ports(family: IPFamily) -> [ServicePort] { portsInKeyOrder { $0.key.family == family } }

    /// All ports of both families, sorted by key.
    public var allPorts: [ServicePort] { portsInKeyOrder { _ in true } }

    /// The ports `include` accepts, sorted by key. A key orders by service name first and a
    /// service's ports are in key order (`ServiceState.init`), so only the services are sorted
    /// and each port is copied once; a state whose services break that (a port list edited out
    /// of order, a port of another service) is sorted port by port instead.
    func portsInKeyOrder(_ include: (ServicePort) -> Bool) -> [ServicePort] {
        var names: [ServiceName] = []
        var states: [ServiceState] = []
        names.reserveCapacity(services.count)
        states.reserveCapacity(services.count)
        var portCount = 0
        var ordered = true
        for (name, svc) in services {
            names.append(name)
            states.append(svc)
            portCount += svc.ports.count
            if ordered { ordered = Self.isInKeyOrder(svc) }
        }
        var order = Array(names.indices)
        order.sort { names[$0] < names[$1] }
        var out: [ServicePort] = []
        out.reserveCapacity(portCount)
        for i in order { for p in states[i].ports where include(p) { out.append(p) } }
        return ordered ? out : Self.sortedByKey(out)
    }

    /// The service's ports are its own and in key order.
    private static func isInKeyOrder(_ svc: ServiceState) -> Bool {
        for p in svc.ports where p.key.service != svc.name { return false }
        for i in svc.ports.indices.dropFirst() where !(svc.ports[i - 1].key < svc.ports[i].key) { return false }
        return true
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
