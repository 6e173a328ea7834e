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
    public func ports(family: IPFamily) -> [ServicePort] { Array(keyOrderedPorts(family: family)) }

    /// All ports of both families, sorted by key.
    public var allPorts: [ServicePort] { Array(keyOrderedPorts(family: nil)) }

    /// `ports(family:)` (every family for nil) read in place: a renderer mapping every port
    /// need not copy each one out of the state first.
    public func keyOrderedPorts(family: IPFamily?) -> KeyOrderedPorts {
        keyOrderedPorts(families: family.map { [$0] } ?? Set(IPFamily.allCases))
    }

    /// The ports of `families`, in key order, read in place.
    public func keyOrderedPorts(families: Set<IPFamily>) -> KeyOrderedPorts {
        let all = families.count == IPFamily.allCases.count
        // A key orders by service name first and a service's ports are in key order
        // (`ServiceState.init`), so only the services are sorted. A state whose services break
        // that (a port list edited out of order, a port of another service) is sorted port by port.
        // Sorting moves the entries; only building the array copies them.
        var sorted = Array(services)
        sorted.sort { $0.key < $1.key }
        var ordered = true
        var locations: [UInt64] = []
        locations.reserveCapacity(sorted.count)
        // (Indices only: no port is copied, so none of its arrays and strings is retained.)
        for s in sorted.indices {
            if ordered { ordered = Self.isInKeyOrder(sorted[s].value) }
            for i in sorted[s].value.ports.indices where all || families.contains(sorted[s].value.ports[i].key.family) {
                locations.append(UInt64(s) << 32 | UInt64(i))
            }
        }
        let ports = KeyOrderedPorts(services: sorted, locations: locations)
        guard !ordered else { return ports }
        return KeyOrderedPorts(services: sorted, locations: locations.indices.sorted { ports[$0].key < ports[$1].key }.map { locations[$0] })
    }

    /// The service's ports are its own and in key order.
    private static func isInKeyOrder(_ svc: ServiceState) -> Bool {
        for i in svc.ports.indices {
            if svc.ports[i].key.service != svc.name { return false }
            if i > 0, !(svc.ports[i - 1].key < svc.ports[i].key) { return false }
        }
        return true
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
