/// One pod to create: a name (a DNS label, at most 40 characters) and its node.
public struct PodSpec: Hashable, Sendable {
    /// The pod's name; echo servers in the pod answer with it.
    public var name: String
    /// The node the pod is attached to.
    public var node: NodeID

    public init(_ name: String, on node: NodeID) {
        self.name = name
        self.node = node
    }
}

/// What to build. Every field has a default, so `TestClusterSpec()` is a working two-pod cluster.
public struct TestClusterSpec: Sendable {
    /// The pods, in order; each node's pods get addresses .2, .3, … in its pod range (at most 200 per node).
    public var pods: [PodSpec]
    /// Whether to configure IPv6 as well as IPv4 (dual stack).
    public var ipv6: Bool
    /// Sets `net.ipv4.conf.all.route_localnet=1` on the nodes (kube-proxy's iptables mode does this itself).
    public var routeLocalnet: Bool
    /// Prefix for every namespace name; nil picks a unique one per cluster (`sy<pid>c<n>-`).
    public var namePrefix: String?
    /// The `ip` program (iproute2): a name looked up in PATH or an absolute path.
    public var ipCommand: String
    /// Path of the `switchyard` executable used for echo servers and probes; nil means
    /// `SwitchyardExecutable.locate()` at first use.
    public var switchyardExecutable: String?

    /// The default pods: `pod-a1` on node-a and `pod-b1` on node-b.
    public static let defaultPods = [PodSpec("pod-a1", on: .a), PodSpec("pod-b1", on: .b)]

    public init(
        pods: [PodSpec] = TestClusterSpec.defaultPods,
        ipv6: Bool = true,
        routeLocalnet: Bool = false,
        namePrefix: String? = nil,
        ipCommand: String = "ip",
        switchyardExecutable: String? = nil
    ) {
        self.pods = pods
        self.ipv6 = ipv6
        self.routeLocalnet = routeLocalnet
        self.namePrefix = namePrefix
        self.ipCommand = ipCommand
        self.switchyardExecutable = switchyardExecutable
    }
}
