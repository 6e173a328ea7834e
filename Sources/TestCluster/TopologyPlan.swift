import SwitchyardCore

/// The pure plan of a test cluster: names, addresses and the `ip` / `sysctl` steps that build it.
///
/// `TestCluster.create` executes the steps in order; keeping them here (no I/O) lets the address
/// layout and interface-name limits be checked without root.
public struct TopologyPlan: Sendable {
    /// One step: either an `ip -batch` script run in a namespace (nil = the caller's namespace, used
    /// only for `netns add`), or sysctl settings written inside a namespace.
    public enum Step: Sendable, Equatable {
        case ipBatch(namespace: NetworkNamespace?, lines: [String])
        case sysctl(namespace: NetworkNamespace, settings: [String])
    }

    /// The prefix every namespace name starts with.
    public let prefix: String
    /// The namespace holding the bridge `br0` that joins nodes and client.
    public let fabric: NetworkNamespace
    /// node-a and node-b, in that order.
    public let nodes: [ClusterNode]
    /// The pods in spec order.
    public let pods: [ClusterPod]
    /// The external client.
    public let client: ClusterClient
    /// Every namespace in creation order (fabric, nodes, client, pods).
    public var namespaces: [NetworkNamespace] {
        [fabric] + nodes.map(\.namespace) + [client.namespace] + pods.map(\.namespace)
    }
    /// What to run, in order.
    public let steps: [Step]

    /// The service ranges the client routes via node-a.
    public static let serviceCIDRv4 = CIDR("10.96.0.0/12")!
    public static let serviceCIDRv6 = CIDR("fd00:10:96::/108")!
    /// The whole pod range (both nodes).
    public static let clusterCIDRv4 = CIDR("10.244.0.0/16")!
    public static let clusterCIDRv6 = CIDR("fd00:10:244::/48")!

    /// Plans `spec` under `prefix`. Throws `invalidSpec` for bad or duplicate pod names and overfull nodes.
    public init(spec: TestClusterSpec, prefix: String) throws {
        try TopologyPlan.validate(spec: spec, prefix: prefix)
        self.prefix = prefix
        fabric = NetworkNamespace(prefix + "fabric")
        let v6 = spec.ipv6
        nodes = NodeID.allCases.map { id in
            ClusterNode(
                id: id, namespace: NetworkNamespace(prefix + id.rawValue),
                ipv4: IPAddress("192.0.2.\(9 + id.index)")!,
                ipv6: v6 ? IPAddress("2001:db8::\(9 + id.index)")! : nil,
                podCIDRv4: CIDR("10.244.\(id.index).0/24")!,
                podCIDRv6: v6 ? CIDR("fd00:10:244:\(id.index)::/64")! : nil,
                interface: "eth0")
        }
        client = ClusterClient(
            namespace: NetworkNamespace(prefix + "client"), ipv4: IPAddress("203.0.113.5")!,
            ipv6: v6 ? IPAddress("2001:db8::5")! : nil, interface: "eth0")
        var perNode: [NodeID: Int] = [:]
        pods = spec.pods.enumerated().map { index, pod in
            let host = (perNode[pod.node] ?? 1) + 1
            perNode[pod.node] = host
            return ClusterPod(
                name: pod.name, node: pod.node, namespace: NetworkNamespace(prefix + "pod-" + pod.name),
                ipv4: IPAddress("10.244.\(pod.node.index).\(host)")!,
                ipv6: v6 ? IPAddress("fd00:10:244:\(pod.node.index)::\(String(host, radix: 16))")! : nil,
                interface: "eth0", hostInterface: "veth\(index)")
        }
        steps = TopologyPlan.buildSteps(
            fabric: fabric, nodes: nodes, pods: pods, client: client, spec: spec)
    }

    /// The node with `id`.
    public func node(_ id: NodeID) -> ClusterNode { nodes[id.index - 1] }

    static func validate(spec: TestClusterSpec, prefix: String) throws {
        guard !prefix.isEmpty, prefix.count <= 32, prefix.utf8.allSatisfy(isNameByte) else {
            throw TestClusterError.invalidSpec("bad namespace prefix \(prefix.debugDescription)")
        }
        var seen = Set<String>()
        for pod in spec.pods {
            guard isDNSLabel(pod.name, maxLength: 40) else {
                throw TestClusterError.invalidSpec("pod name \(pod.name.debugDescription) is not a DNS label of at most 40 characters")
            }
            guard seen.insert(pod.name).inserted else {
                throw TestClusterError.invalidSpec("duplicate pod name \(pod.name)")
            }
        }
        for id in NodeID.allCases where spec.pods.filter({ $0.node == id }).count > 200 {
            throw TestClusterError.invalidSpec("more than 200 pods on \(id)")
        }
    }

    static func isNameByte(_ b: UInt8) -> Bool {
        (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z")) || (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9"))
            || b == UInt8(ascii: "-")
    }

    static func isDNSLabel(_ s: String, maxLength: Int) -> Bool {
        let u = Array(s.utf8)
        guard !u.isEmpty, u.count <= maxLength, u.allSatisfy(isNameByte) else { return false }
        return u.first != UInt8(ascii: "-") && u.last != UInt8(ascii: "-")
    }
}
