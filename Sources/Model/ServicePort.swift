import SwitchyardCore

/// A Service's identity: namespace and name, both validated DNS labels.
public struct ServiceName: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var namespace: String
    public var name: String
    public init(namespace: String, name: String) { self.namespace = namespace; self.name = name }
    public var description: String { "\(namespace)/\(name)" }
    public static func < (a: ServiceName, b: ServiceName) -> Bool { (a.namespace, a.name) < (b.namespace, b.name) }
}

/// Identity of one service port in one address family — the unit every backend renders.
///
/// `portName` is a validated DNS label or empty, so the `description` is safe to print in a
/// rule comment; chain and set names use `stableID` instead.
public struct ServicePortKey: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var service: ServiceName
    public var portName: String
    public var proto: L4Protocol
    public var family: IPFamily

    public init(service: ServiceName, portName: String, proto: L4Protocol, family: IPFamily) {
        self.service = service; self.portName = portName; self.proto = proto; self.family = family
    }

    /// `namespace/name:port` (kube-proxy's ServicePortName string, without the protocol).
    public var description: String { "\(service.namespace)/\(service.name)" + (portName.isEmpty ? "" : ":\(portName)") }

    /// A hash that names this port's kernel objects; stable across processes and restarts.
    public var stableID: UInt64 {
        StableHash.of(service.namespace, service.name, portName, proto.rawValue, family.rawValue)
    }

    public static func < (a: ServicePortKey, b: ServicePortKey) -> Bool {
        if a.service != b.service { return a.service < b.service }
        if a.portName != b.portName { return a.portName < b.portName }
        if a.proto != b.proto { return a.proto < b.proto }
        return a.family < b.family
    }
}

/// One backend address for a service port.
public struct Endpoint: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var ip: IPAddress
    public var port: UInt16
    /// The endpoint runs on this node.
    public var isLocal: Bool

    public init(ip: IPAddress, port: UInt16, isLocal: Bool) { self.ip = ip; self.port = port; self.isLocal = isLocal }

    /// `ip:port`, or `[ip]:port` for IPv6.
    public var description: String { ip.family == .ipv4 ? "\(ip):\(port)" : "[\(ip)]:\(port)" }

    public static func < (a: Endpoint, b: Endpoint) -> Bool { a.ip != b.ip ? a.ip < b.ip : a.port < b.port }
}

/// Which endpoint list a traffic path forwards to.
public enum EndpointSet: String, Hashable, Sendable {
    /// `ServicePort.clusterEndpoints`.
    case cluster
    /// `ServicePort.localEndpoints`.
    case local
}

/// What a traffic path does with a packet, decided once in `Model` for every backend.
public enum TrafficDecision: Hashable, Sendable {
    /// Load-balance across the named endpoint list (never empty when chosen).
    case forward(EndpointSet)
    /// The service has no usable endpoints at all: ICMP port unreachable / TCP reset.
    case reject
    /// A Local traffic policy with no local endpoints: drop silently.
    case drop
}

/// One service port in one family, with every decision a backend needs already made.
///
/// Backends only translate these values into rules; none of them decides traffic policy,
/// endpoint selection or masquerade itself.
public struct ServicePort: Hashable, Sendable {
    public var key: ServicePortKey
    public var clusterIP: IPAddress
    public var port: UInt16
    /// The allocated NodePort, if any.
    public var nodePort: UInt16?
    /// `spec.externalIPs` of this family, sorted, unique.
    public var externalIPs: [IPAddress]
    /// Load-balancer ingress IPs of this family (not `ipMode: Proxy`), sorted, unique.
    public var loadBalancerIPs: [IPAddress]
    /// `spec.loadBalancerSourceRanges` of this family; empty means every source is allowed.
    public var loadBalancerSourceRanges: [CIDR]
    /// ClientIP session affinity timeout in seconds; nil without affinity.
    public var affinityTimeout: UInt32?
    /// `externalTrafficPolicy: Local` on an externally reachable port.
    public var externalPolicyLocal: Bool
    /// `internalTrafficPolicy: Local`.
    public var internalPolicyLocal: Bool
    /// `spec.healthCheckNodePort` (eTP=Local LoadBalancer services).
    public var healthCheckNodePort: UInt16?
    /// IPVS scheduler from the `switchyard.io/ipvs-scheduler` annotation (validated), if set.
    public var ipvsScheduler: String?
    /// Endpoints for Cluster-policy paths (ready, topology-filtered; else serving+terminating), sorted.
    public var clusterEndpoints: [Endpoint]
    /// Endpoints on this node (ready; else serving+terminating), sorted.
    public var localEndpoints: [Endpoint]
    /// What ClusterIP traffic does.
    public var internalTraffic: TrafficDecision
    /// What NodePort / externalIP / LoadBalancer traffic from outside the node does.
    public var externalTraffic: TrafficDecision

    public init(key: ServicePortKey, clusterIP: IPAddress, port: UInt16, nodePort: UInt16? = nil,
                externalIPs: [IPAddress] = [], loadBalancerIPs: [IPAddress] = [], loadBalancerSourceRanges: [CIDR] = [],
                affinityTimeout: UInt32? = nil, externalPolicyLocal: Bool = false, internalPolicyLocal: Bool = false,
                healthCheckNodePort: UInt16? = nil, ipvsScheduler: String? = nil,
                clusterEndpoints: [Endpoint] = [], localEndpoints: [Endpoint] = [],
                internalTraffic: TrafficDecision = .reject, externalTraffic: TrafficDecision = .reject) {
        self.key = key; self.clusterIP = clusterIP; self.port = port; self.nodePort = nodePort
        self.externalIPs = externalIPs; self.loadBalancerIPs = loadBalancerIPs
        self.loadBalancerSourceRanges = loadBalancerSourceRanges; self.affinityTimeout = affinityTimeout
        self.externalPolicyLocal = externalPolicyLocal; self.internalPolicyLocal = internalPolicyLocal
        self.healthCheckNodePort = healthCheckNodePort; self.ipvsScheduler = ipvsScheduler
        self.clusterEndpoints = clusterEndpoints; self.localEndpoints = localEndpoints
        self.internalTraffic = internalTraffic; self.externalTraffic = externalTraffic
    }

    /// True when the port is reachable from outside (NodePort, externalIPs or LoadBalancer IPs).
    public var isExternallyAccessible: Bool { nodePort != nil || !externalIPs.isEmpty || !loadBalancerIPs.isEmpty }

    /// External traffic is masqueraded (eTP=Cluster); with eTP=Local the client source is kept.
    public var masqueradesExternal: Bool { !externalPolicyLocal }

    /// kube-proxy's short-circuit for eTP=Local: traffic from pods on this node (and from the
    /// node itself, masqueraded) to an external address goes to the cluster endpoints instead of
    /// only local ones. Nil when it does not apply.
    public var externalShortCircuit: TrafficDecision? {
        guard externalPolicyLocal, !clusterEndpoints.isEmpty else { return nil }
        return .forward(.cluster)
    }

    /// The endpoints a decision forwards to (empty for reject/drop).
    public func endpoints(for decision: TrafficDecision) -> [Endpoint] {
        switch decision {
        case .forward(.cluster): return clusterEndpoints
        case .forward(.local): return localEndpoints
        case .reject, .drop: return []
        }
    }

    /// Every endpoint some path of this port can reach (cluster ∪ local), sorted, unique.
    public var allReachableEndpoints: [Endpoint] {
        if localEndpoints.isEmpty { return clusterEndpoints }
        return Array(Set(clusterEndpoints).union(localEndpoints)).sorted()
    }
}

/// All handled ports of one Service (both families), sorted by key.
public struct ServiceState: Hashable, Sendable {
    public var name: ServiceName
    public var ports: [ServicePort]
    public init(name: ServiceName, ports: [ServicePort]) { self.name = name; self.ports = ports.sorted { $0.key < $1.key } }
}
