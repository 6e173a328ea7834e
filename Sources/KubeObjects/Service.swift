/// `v1.Service`, with every field kube-proxy reads. Values are kept as the API sent them;
/// `Model` validates them before any of them is used.
public struct Service: Codable, Hashable, Sendable {
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: ServiceSpec?
    public var status: ServiceStatus?

    public init(metadata: ObjectMeta, spec: ServiceSpec?, status: ServiceStatus? = nil) {
        self.apiVersion = "v1"; self.kind = "Service"
        self.metadata = metadata; self.spec = spec; self.status = status
    }
}

public struct ServiceSpec: Codable, Hashable, Sendable {
    /// ClusterIP (default), NodePort, LoadBalancer or ExternalName.
    public var type: String?
    public var clusterIP: String?
    public var clusterIPs: [String]?
    public var ipFamilies: [String]?
    public var ipFamilyPolicy: String?
    public var ports: [ServicePortSpec]?
    public var externalIPs: [String]?
    public var externalName: String?
    public var loadBalancerIP: String?
    public var loadBalancerSourceRanges: [String]?
    /// None (default) or ClientIP.
    public var sessionAffinity: String?
    public var sessionAffinityConfig: SessionAffinityConfig?
    /// Cluster (default), Local (alias OnlyLocal).
    public var externalTrafficPolicy: String?
    /// Cluster (default) or Local.
    public var internalTrafficPolicy: String?
    public var healthCheckNodePort: Int?
    /// PreferClose, PreferSameZone or PreferSameNode.
    public var trafficDistribution: String?
    public var publishNotReadyAddresses: Bool?

    public init(type: String? = nil, clusterIP: String? = nil, clusterIPs: [String]? = nil, ipFamilies: [String]? = nil,
                ipFamilyPolicy: String? = nil, ports: [ServicePortSpec]? = nil, externalIPs: [String]? = nil,
                externalName: String? = nil, loadBalancerIP: String? = nil, loadBalancerSourceRanges: [String]? = nil,
                sessionAffinity: String? = nil, sessionAffinityConfig: SessionAffinityConfig? = nil,
                externalTrafficPolicy: String? = nil, internalTrafficPolicy: String? = nil,
                healthCheckNodePort: Int? = nil, trafficDistribution: String? = nil, publishNotReadyAddresses: Bool? = nil) {
        self.type = type; self.clusterIP = clusterIP; self.clusterIPs = clusterIPs; self.ipFamilies = ipFamilies
        self.ipFamilyPolicy = ipFamilyPolicy; self.ports = ports; self.externalIPs = externalIPs
        self.externalName = externalName; self.loadBalancerIP = loadBalancerIP
        self.loadBalancerSourceRanges = loadBalancerSourceRanges; self.sessionAffinity = sessionAffinity
        self.sessionAffinityConfig = sessionAffinityConfig; self.externalTrafficPolicy = externalTrafficPolicy
        self.internalTrafficPolicy = internalTrafficPolicy; self.healthCheckNodePort = healthCheckNodePort
        self.trafficDistribution = trafficDistribution; self.publishNotReadyAddresses = publishNotReadyAddresses
    }
}

public struct ServicePortSpec: Codable, Hashable, Sendable {
    public var name: String?
    /// TCP (default), UDP or SCTP.
    public var `protocol`: String?
    public var port: Int?
    public var targetPort: IntOrString?
    public var nodePort: Int?
    public var appProtocol: String?

    public init(name: String? = nil, protocol: String? = nil, port: Int? = nil, targetPort: IntOrString? = nil,
                nodePort: Int? = nil, appProtocol: String? = nil) {
        self.name = name; self.protocol = `protocol`; self.port = port; self.targetPort = targetPort
        self.nodePort = nodePort; self.appProtocol = appProtocol
    }
}

public struct SessionAffinityConfig: Codable, Hashable, Sendable {
    public var clientIP: ClientIPConfig?
    public init(clientIP: ClientIPConfig?) { self.clientIP = clientIP }
}

public struct ClientIPConfig: Codable, Hashable, Sendable {
    public var timeoutSeconds: Int?
    public init(timeoutSeconds: Int?) { self.timeoutSeconds = timeoutSeconds }
}

public struct ServiceStatus: Codable, Hashable, Sendable {
    public var loadBalancer: LoadBalancerStatus?
    public init(loadBalancer: LoadBalancerStatus?) { self.loadBalancer = loadBalancer }
}

public struct LoadBalancerStatus: Codable, Hashable, Sendable {
    public var ingress: [LoadBalancerIngress]?
    public init(ingress: [LoadBalancerIngress]?) { self.ingress = ingress }
}

public struct LoadBalancerIngress: Codable, Hashable, Sendable {
    public var ip: String?
    public var hostname: String?
    /// VIP (default) or Proxy; Proxy ingress IPs are not programmed.
    public var ipMode: String?
    public init(ip: String? = nil, hostname: String? = nil, ipMode: String? = nil) {
        self.ip = ip; self.hostname = hostname; self.ipMode = ipMode
    }
}
