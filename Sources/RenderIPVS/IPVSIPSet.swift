import SwitchyardCore

/// The ipset types IPVS mode uses.
public enum IPSetType: String, Hashable, Sendable {
    case hashIP = "hash:ip"
    case hashIPPort = "hash:ip,port"
    case hashIPPortIP = "hash:ip,port,ip"
    case hashIPPortNet = "hash:ip,port,net"
    case bitmapPort = "bitmap:port"
}

/// One ipset entry, printed in `ipset` syntax (`10.96.0.10,udp:53`).
public enum IPSetMember: Hashable, Sendable, Comparable, CustomStringConvertible {
    case ip(IPAddress)
    case port(UInt16)
    case ipPort(IPAddress, L4Protocol, UInt16)
    case ipPortIP(IPAddress, L4Protocol, UInt16, IPAddress)
    case ipPortNet(IPAddress, L4Protocol, UInt16, CIDR)

    public var description: String {
        var w = ASCIIBuffer(capacity: 40)
        w.write(member: self)
        return w.string
    }

    private var sortKey: (Int, IPAddress, UInt16, UInt8, IPAddress, Int) {
        let zero = IPAddress(v4: 0)
        switch self {
        case .ip(let a): return (0, a, 0, 0, zero, 0)
        case .port(let p): return (1, zero, p, 0, zero, 0)
        case let .ipPort(a, pr, p): return (2, a, p, pr.number, zero, 0)
        case let .ipPortIP(a, pr, p, b): return (3, a, p, pr.number, b, 0)
        case let .ipPortNet(a, pr, p, n): return (4, a, p, pr.number, n.address, n.prefixLength)
        }
    }

    public static func < (a: IPSetMember, b: IPSetMember) -> Bool {
        let x = a.sortKey, y = b.sortKey
        if x.0 != y.0 { return x.0 < y.0 }
        if x.1 != y.1 { return x.1 < y.1 }
        if x.2 != y.2 { return x.2 < y.2 }
        if x.3 != y.3 { return x.3 < y.3 }
        if x.4 != y.4 { return x.4 < y.4 }
        return x.5 < y.5
    }
}

/// The role of each ipset of IPVS mode (kube-proxy's sets, plus reject/drop sets of our own).
/// A role and a family name exactly one set, so a set's spec never changes under its name.
public enum IPVSSetRole: String, Hashable, Sendable, CaseIterable, Comparable {
    /// (clusterIP, proto:port) of every service port: masquerade and access-filter matches.
    case clusterIP = "CLUSTER-IP"
    /// (endpointIP, proto:port, endpointIP) of local endpoints: hairpin masquerade.
    case loopback = "LOOP-BACK"
    /// (externalIP, proto:port) with eTP=Cluster: masqueraded.
    case externalIP = "EXTERNAL-IP"
    /// (externalIP, proto:port) with eTP=Local: source kept.
    case externalIPLocal = "EXTERNAL-IP-LOCAL"
    /// (lbIP, proto:port) of every LoadBalancer ingress.
    case loadBalancer = "LOAD-BALANCER"
    /// (lbIP, proto:port) with eTP=Local.
    case loadBalancerLocal = "LB-LOCAL"
    /// (lbIP, proto:port) that have source ranges (jump to the source-range check).
    case loadBalancerFirewall = "LB-FW"
    /// (lbIP, proto:port, sourceCIDR): allowed sources.
    case loadBalancerSourceCIDR = "LB-SRC-CIDR"
    /// (lbIP, proto:port, lbIP): the LB IP itself as a source, when a node IP is in the ranges.
    case loadBalancerSourceIP = "LB-SRC-IP"
    case nodePortTCP = "NODE-PORT-TCP"
    case nodePortUDP = "NODE-PORT-UDP"
    /// SCTP cannot use bitmap:port matching; (nodeIP, sctp:port) like kube-proxy.
    case nodePortSCTP = "NODE-PORT-SCTP"
    case nodePortLocalTCP = "NP-LOCAL-TCP"
    case nodePortLocalUDP = "NP-LOCAL-UDP"
    case nodePortLocalSCTP = "NP-LOCAL-SCTP"
    /// Health-check node ports (accepted in filter INPUT).
    case healthCheckNodePort = "HEALTH-CHECK"
    /// Every address held on the dummy interface (access filter for other ports).
    case ipvsIPs = "IPVS-IPS"
    /// (vip, proto:port) whose traffic decision is `.reject` (also SCTP NodePorts on node IPs).
    case reject = "REJECT"
    /// (vip, proto:port) whose traffic decision is `.drop` (also SCTP NodePorts on node IPs).
    case drop = "DROP"
    case nodePortRejectTCP = "NP-REJECT-TCP"
    case nodePortRejectUDP = "NP-REJECT-UDP"
    case nodePortDropTCP = "NP-DROP-TCP"
    case nodePortDropUDP = "NP-DROP-UDP"

    /// The set type of this role.
    public var type: IPSetType {
        switch self {
        case .clusterIP, .externalIP, .externalIPLocal, .loadBalancer, .loadBalancerLocal, .loadBalancerFirewall,
             .nodePortSCTP, .nodePortLocalSCTP, .reject, .drop:
            return .hashIPPort
        case .loopback, .loadBalancerSourceIP: return .hashIPPortIP
        case .loadBalancerSourceCIDR: return .hashIPPortNet
        case .nodePortTCP, .nodePortUDP, .nodePortLocalTCP, .nodePortLocalUDP, .healthCheckNodePort,
             .nodePortRejectTCP, .nodePortRejectUDP, .nodePortDropTCP, .nodePortDropUDP:
            return .bitmapPort
        case .ipvsIPs: return .hashIP
        }
    }

    /// `SWITCHYARD-CLUSTER-IP` (IPv4) or `SWITCHYARD-6-CLUSTER-IP` (IPv6); at most 31 characters.
    public func name(_ family: IPFamily) -> String {
        (family == .ipv4 ? Self.v4Names[self] : Self.v6Names[self]) ?? Self.format(self, family)
    }

    /// Every role's name per family, built once (plans look names up for every member they add).
    private static let v4Names = Dictionary(uniqueKeysWithValues: allCases.map { ($0, format($0, .ipv4)) })
    private static let v6Names = Dictionary(uniqueKeysWithValues: allCases.map { ($0, format($0, .ipv6)) })

    private static func format(_ role: IPVSSetRole, _ family: IPFamily) -> String {
        (family == .ipv4 ? "SWITCHYARD-" : "SWITCHYARD-6-") + role.rawValue
    }

    /// The NodePort sets of a protocol: (all, eTP=Local, reject, drop). Reject/drop are nil for SCTP,
    /// whose NodePorts go into the address-keyed REJECT/DROP sets.
    static func nodePortRoles(_ proto: L4Protocol) -> (all: IPVSSetRole, local: IPVSSetRole, reject: IPVSSetRole?, drop: IPVSSetRole?) {
        switch proto {
        case .tcp: return (.nodePortTCP, .nodePortLocalTCP, .nodePortRejectTCP, .nodePortDropTCP)
        case .udp: return (.nodePortUDP, .nodePortLocalUDP, .nodePortRejectUDP, .nodePortDropUDP)
        case .sctp: return (.nodePortSCTP, .nodePortLocalSCTP, nil, nil)
        }
    }

    public static func < (a: IPVSSetRole, b: IPVSSetRole) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// One ipset: its spec (name, type, family) and its members.
public struct IPVSIPSet: Hashable, Sendable {
    public var role: IPVSSetRole
    public var family: IPFamily
    public var members: Set<IPSetMember>

    public init(role: IPVSSetRole, family: IPFamily, members: Set<IPSetMember> = []) {
        self.role = role; self.family = family; self.members = members
    }

    public var name: String { role.name(family) }
    public var type: IPSetType { role.type }

    /// Upper bound on members (kube-proxy keeps ipset's default 65536; we allow more for large clusters).
    public static let maxElements = 262_144

    /// The `create` line of `ipset restore` (`create NAME hash:ip,port family inet hashsize 1024 maxelem 262144`).
    public var createLine: String {
        switch type {
        case .bitmapPort:
            return "create \(name) bitmap:port range 0-65535"
        default:
            let fam = family == .ipv4 ? "inet" : "inet6"
            return "create \(name) \(type.rawValue) family \(fam) hashsize 1024 maxelem \(IPVSIPSet.maxElements)"
        }
    }
}
