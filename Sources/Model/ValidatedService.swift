import SwitchyardCore

/// Which topology hints a service asks kube-proxy to honour.
public enum TopologyPreference: Hashable, Sendable {
    /// No topology: every usable endpoint.
    case none
    /// `topology-mode: Auto`, `PreferClose` or `PreferSameZone`: `hints.forZones` of the node's zone.
    case zone
    /// `PreferSameNode`: `hints.forNodes` of the node's name, else zone hints.
    case node
}

/// The Service types Switchyard proxies (ExternalName is never handled).
public enum ServiceType: String, Hashable, Sendable {
    case clusterIP = "ClusterIP"
    case nodePort = "NodePort"
    case loadBalancer = "LoadBalancer"
}

/// One validated entry of `spec.ports`.
public struct ValidatedServicePortSpec: Hashable, Sendable {
    /// A DNS label or empty.
    public var name: String
    public var proto: L4Protocol
    public var port: UInt16
    /// Allocated NodePort; nil when none or when the type does not use it.
    public var nodePort: UInt16?
    public init(name: String, proto: L4Protocol, port: UInt16, nodePort: UInt16?) {
        self.name = name; self.proto = proto; self.port = port; self.nodePort = nodePort
    }
}

/// A Service that passed validation and is handled by this proxy: every value parsed, nothing
/// from annotations or labels kept except the validated IPVS scheduler and topology preference.
public struct ValidatedService: Hashable, Sendable {
    public var name: ServiceName
    public var type: ServiceType
    /// ClusterIPs, at most one per family, in `spec.clusterIPs` order.
    public var clusterIPs: [IPAddress]
    public var ports: [ValidatedServicePortSpec]
    /// `spec.externalIPs`, both families.
    public var externalIPs: [IPAddress]
    /// VIP-mode load-balancer ingress IPs (LoadBalancer services only), both families.
    public var loadBalancerIPs: [IPAddress]
    /// `spec.loadBalancerSourceRanges` (or the legacy annotation), both families.
    public var loadBalancerSourceRanges: [CIDR]
    /// ClientIP affinity timeout, nil without affinity.
    public var affinityTimeout: UInt32?
    /// `externalTrafficPolicy: Local` / `OnlyLocal`.
    public var externalTrafficLocal: Bool
    /// `internalTrafficPolicy: Local`.
    public var internalTrafficLocal: Bool
    /// Health-check NodePort, kept only for LoadBalancer services with eTP=Local.
    public var healthCheckNodePort: UInt16?
    public var topology: TopologyPreference
    /// Validated `switchyard.io/ipvs-scheduler` annotation.
    public var ipvsScheduler: String?

    public init(name: ServiceName, type: ServiceType = .clusterIP, clusterIPs: [IPAddress], ports: [ValidatedServicePortSpec],
                externalIPs: [IPAddress] = [], loadBalancerIPs: [IPAddress] = [], loadBalancerSourceRanges: [CIDR] = [],
                affinityTimeout: UInt32? = nil, externalTrafficLocal: Bool = false, internalTrafficLocal: Bool = false,
                healthCheckNodePort: UInt16? = nil, topology: TopologyPreference = .none, ipvsScheduler: String? = nil) {
        self.name = name; self.type = type; self.clusterIPs = clusterIPs; self.ports = ports
        self.externalIPs = externalIPs; self.loadBalancerIPs = loadBalancerIPs
        self.loadBalancerSourceRanges = loadBalancerSourceRanges; self.affinityTimeout = affinityTimeout
        self.externalTrafficLocal = externalTrafficLocal; self.internalTrafficLocal = internalTrafficLocal
        self.healthCheckNodePort = healthCheckNodePort; self.topology = topology; self.ipvsScheduler = ipvsScheduler
    }
}

/// The outcome of looking at one Service object.
public enum ServiceIntake: Hashable, Sendable {
    /// Valid and handled by this proxy.
    case handled(ValidatedService)
    /// Valid but not this proxy's business (headless, ExternalName, another proxy's label).
    case ignored(reason: String)
    /// Malformed: treated as absent.
    case rejected(Diagnostic)
}
