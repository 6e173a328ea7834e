import SwitchyardCore

/// How this node's proxy is configured: the flags and config-file fields that shape policy.
public struct NodeConfig: Hashable, Sendable {
    /// This node's name (`--node`, `--hostname-override`).
    public var nodeName: String
    /// `--service-proxy-name`: services labelled `service.kubernetes.io/service-proxy-name` with
    /// another value are left to another proxy. Nil handles only unlabelled services.
    public var serviceProxyName: String?
    /// `--cluster-cidr`: pod address ranges (detect-local). Traffic to a ClusterIP from outside them is masqueraded.
    public var clusterCIDRs: [CIDR]
    /// `--masquerade-all`: masquerade every service packet.
    public var masqueradeAll: Bool
    /// `--nodeport-addresses`: nil serves NodePorts on the Node object's InternalIP/ExternalIP addresses.
    public var nodePortAddresses: [CIDR]?
    /// Families this node proxies.
    public var families: Set<IPFamily>
    /// The default IPVS scheduler (`--ipvs-scheduler`).
    public var ipvsScheduler: String

    public init(nodeName: String, serviceProxyName: String? = nil, clusterCIDRs: [CIDR] = [], masqueradeAll: Bool = false,
                nodePortAddresses: [CIDR]? = nil, families: Set<IPFamily> = [.ipv4, .ipv6], ipvsScheduler: String = "rr") {
        self.nodeName = nodeName; self.serviceProxyName = serviceProxyName; self.clusterCIDRs = clusterCIDRs
        self.masqueradeAll = masqueradeAll; self.nodePortAddresses = nodePortAddresses; self.families = families
        self.ipvsScheduler = ipvsScheduler
    }
}

/// Which sources are masqueraded on their way to a ClusterIP, per family.
public enum ClusterMasquerade: Hashable, Sendable {
    /// `--masquerade-all`.
    case all
    /// Sources outside these cluster CIDRs (the pod ranges) are masqueraded.
    case sourcesOutside([CIDR])
    /// No cluster CIDR known for the family: nothing is masqueraded (kube-proxy logs a warning too).
    case none
}

/// Where NodePorts are served, per family.
public enum NodePortAddresses: Hashable, Sendable {
    /// Every local address of the node (kube-proxy's iptables default without a Node object).
    case allLocal
    /// Only these addresses.
    case addresses([IPAddress])
}

/// What this node knows about itself from its Node object and config.
public struct NodeInfo: Hashable, Sendable {
    public var name: String
    /// `topology.kubernetes.io/zone`, if labelled.
    public var zone: String?
    /// InternalIP and ExternalIP addresses from the Node object, sorted.
    public var addresses: [IPAddress]
    public init(name: String, zone: String? = nil, addresses: [IPAddress] = []) {
        self.name = name; self.zone = zone; self.addresses = addresses
    }
}
