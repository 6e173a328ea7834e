import Model
import SwitchyardCore

/// A cheap test of whether a service port can contribute any of a set of plan resources.
///
/// Every resource a port contributes (see `IPVSPlanBuilder.add`) names one of the port's
/// service addresses (ClusterIP, externalIP, LoadBalancer IP), one of its local endpoints'
/// addresses, or its NodePort / health-check port. The probe collects every address and port
/// number the candidate resources mention; a port none of whose addresses or ports is among them
/// cannot contribute a candidate, so the incremental render builds only the ports that can.
/// The test may say yes for a port that contributes nothing: the caller still intersects.
struct IPVSResourceProbe {
    private var addresses = SmallSet<IPAddress>()
    private var ports = SmallSet<UInt16>()
    /// A resource the probe cannot attribute (a fwmark service): every port may contribute.
    private(set) var matchesEverything = false

    init(_ resources: Set<IPVSResource>) {
        for r in resources {
            switch r {
            case .service(.inet(_, let address, let port)): addresses.insert(address); ports.insert(port)
            case .service(.fwmark): matchesEverything = true
            case .address(let a): addresses.insert(a)
            case .member(_, let m): note(m)
            }
        }
    }

    private mutating func note(_ m: IPSetMember) {
        switch m {
        case .ip(let a): addresses.insert(a)
        case .port(let p): ports.insert(p)
        case let .ipPort(a, _, p): addresses.insert(a); ports.insert(p)
        case let .ipPortIP(a, _, p, b): addresses.insert(a); addresses.insert(b); ports.insert(p)
        case let .ipPortNet(a, _, p, _): addresses.insert(a); ports.insert(p)
        }
    }

    /// Whether `p` may contribute one of the resources.
    func mayContribute(_ p: ServicePort) -> Bool {
        if matchesEverything { return true }
        if addresses.contains(p.clusterIP) { return true }
        if let np = p.nodePort, ports.contains(np) { return true }
        if let hc = p.healthCheckNodePort, ports.contains(hc) { return true }
        for ip in p.externalIPs where addresses.contains(ip) { return true }
        for ip in p.loadBalancerIPs where addresses.contains(ip) { return true }
        // allReachableEndpoints is the union of these two; walking both avoids building it.
        for ep in p.clusterEndpoints where ep.isLocal && addresses.contains(ep.ip) { return true }
        for ep in p.localEndpoints where ep.isLocal && addresses.contains(ep.ip) { return true }
        return false
    }
}

/// A set that scans an array while it is small (a change touches few addresses, and comparing
/// a handful beats hashing each of the cluster's endpoints), and hashes once it grows.
struct SmallSet<Element: Hashable> {
    private var few: [Element] = []
    private var many: Set<Element>? = nil
    static var linearLimit: Int { 8 }

    mutating func insert(_ e: Element) {
        if many != nil { many!.insert(e); return }
        if few.contains(e) { return }
        few.append(e)
        if few.count > Self.linearLimit { many = Set(few); few = [] }
    }

    func contains(_ e: Element) -> Bool {
        if let many { return many.contains(e) }
        for x in few where x == e { return true }
        return false
    }
}
