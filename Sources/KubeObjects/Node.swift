/// `v1.Node`: Switchyard reads its labels (zone) and addresses (NodePort addresses).
public struct Node: Codable, Hashable, Sendable {
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: NodeSpec?
    public var status: NodeStatus?

    public init(metadata: ObjectMeta, spec: NodeSpec? = nil, status: NodeStatus? = nil) {
        self.apiVersion = "v1"; self.kind = "Node"
        self.metadata = metadata; self.spec = spec; self.status = status
    }

    /// The well-known zone label.
    public static let zoneLabel = "topology.kubernetes.io/zone"
}

public struct NodeSpec: Codable, Hashable, Sendable {
    public var podCIDR: String?
    public var podCIDRs: [String]?
    public init(podCIDR: String? = nil, podCIDRs: [String]? = nil) { self.podCIDR = podCIDR; self.podCIDRs = podCIDRs }
}

public struct NodeStatus: Codable, Hashable, Sendable {
    public var addresses: [NodeAddress]?
    public init(addresses: [NodeAddress]?) { self.addresses = addresses }
}

public struct NodeAddress: Codable, Hashable, Sendable {
    /// InternalIP, ExternalIP, Hostname, …
    public var type: String?
    public var address: String?
    public init(type: String?, address: String?) { self.type = type; self.address = address }
}
