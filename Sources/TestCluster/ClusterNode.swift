import SwitchyardCore

/// The two nodes of a test cluster.
public enum NodeID: String, Hashable, Sendable, CaseIterable, Comparable, CustomStringConvertible {
    case a = "node-a"
    case b = "node-b"

    /// 1 for node-a, 2 for node-b: the third octet / fourth hextet of the node's pod range.
    public var index: Int { self == .a ? 1 : 2 }

    /// The other node.
    public var peer: NodeID { self == .a ? .b : .a }

    public var description: String { rawValue }

    public static func < (x: NodeID, y: NodeID) -> Bool { x.index < y.index }
}

/// A node: a namespace on the shared bridge, forwarding for its pods.
///
/// node-a is 192.0.2.10 / 2001:db8::10 with pods in 10.244.1.0/24 / fd00:10:244:1::/64;
/// node-b is 192.0.2.11 / 2001:db8::11 with pods in 10.244.2.0/24 / fd00:10:244:2::/64.
public struct ClusterNode: Hashable, Sendable, InNetworkNamespace {
    /// Which node this is.
    public let id: NodeID
    /// The node's namespace.
    public let namespace: NetworkNamespace
    /// The node's IPv4 address on the bridge (interface `eth0`).
    public let ipv4: IPAddress
    /// The node's IPv6 address on the bridge, when the cluster has IPv6.
    public let ipv6: IPAddress?
    /// The node's IPv4 pod range.
    public let podCIDRv4: CIDR
    /// The node's IPv6 pod range, when the cluster has IPv6.
    public let podCIDRv6: CIDR?
    /// The node's interface towards the bridge.
    public let interface: String

    /// The node's address in `family`, nil when the cluster is IPv4-only.
    public func address(_ family: IPFamily) -> IPAddress? { family == .ipv4 ? ipv4 : ipv6 }

    /// The node's pod range in `family`.
    public func podCIDR(_ family: IPFamily) -> CIDR? { family == .ipv4 ? podCIDRv4 : podCIDRv6 }
}
