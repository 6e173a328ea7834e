import SwitchyardCore

/// A pod: a namespace attached to its node by a veth pair, routed (not bridged) by the node.
///
/// Inside the pod the interface is `eth0` with a /32 (/128) address and a default route via the
/// node's gateway (10.244.N.1, fe80::1). On the node the peer is `hostInterface` with a host
/// route to the pod, so pod→same-pod hairpin traffic is routed back out the same veth.
public struct ClusterPod: Hashable, Sendable, InNetworkNamespace {
    /// The pod's name as given in the spec (a DNS label); echo servers answer with it.
    public let name: String
    /// The node the pod runs on.
    public let node: NodeID
    /// The pod's namespace.
    public let namespace: NetworkNamespace
    /// The pod's IPv4 address.
    public let ipv4: IPAddress
    /// The pod's IPv6 address, when the cluster has IPv6.
    public let ipv6: IPAddress?
    /// The pod's interface inside its namespace (`eth0`).
    public let interface: String
    /// The node-side end of the pod's veth pair (inside the node's namespace).
    public let hostInterface: String

    /// The pod's address in `family`, nil when the cluster is IPv4-only.
    public func address(_ family: IPFamily) -> IPAddress? { family == .ipv4 ? ipv4 : ipv6 }
}

/// The external client: a namespace on the bridge outside every node and pod range.
///
/// It is 203.0.113.5 / 2001:db8::5 and routes the service ranges (10.96.0.0/12, fd00:10:96::/108)
/// and the pod ranges (10.244.0.0/16, fd00:10:244::/48) via node-a; the node range itself is on-link.
public struct ClusterClient: Hashable, Sendable, InNetworkNamespace {
    /// The client's namespace.
    public let namespace: NetworkNamespace
    /// The client's IPv4 address.
    public let ipv4: IPAddress
    /// The client's IPv6 address, when the cluster has IPv6.
    public let ipv6: IPAddress?
    /// The client's interface towards the bridge.
    public let interface: String

    /// The client's address in `family`, nil when the cluster is IPv4-only.
    public func address(_ family: IPFamily) -> IPAddress? { family == .ipv4 ? ipv4 : ipv6 }
}
