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
    /// Read for health: a node tainted `ToBeDeletedByClusterAutoscaler` is not eligible.
    public var taints: [NodeTaint]?
    public init(podCIDR: String? = nil, podCIDRs: [String]? = nil, taints: [NodeTaint]? = nil) {
        self.podCIDR = podCIDR; self.podCIDRs = podCIDRs; self.taints = taints
    }
}

/// `v1.Taint`: only the key is read.
public struct NodeTaint: Codable, Hashable, Sendable {
    public var key: String?
    public var value: String?
    public var effect: String?
    public init(key: String?, value: String? = nil, effect: String? = nil) { self.key = key; self.value = value; self.effect = effect }
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
