import KubeObjects
import SwitchyardCore

/// A reproducible synthetic cluster of raw Kubernetes objects (Nodes, Services, EndpointSlices)
/// for benchmarks, the bench runner and property tests.
///
/// The same arguments give the same objects on every run and platform (`SplitMix64`).
/// Services are `ns-(i % 10)/svc-i`; each gets one EndpointSlice per IP family, named
/// `svc-i-v4` / `svc-i-v6` and labelled `kubernetes.io/service-name`, whose endpoints are spread
/// round-robin over the nodes. Addresses are described on `AddressAllocator`: ClusterIPs are
/// unique in 10.96.0.0/12, pods use 10.244.N.0/24 on node N, nodes 192.0.2.(N+1), LB IPs
/// 203.0.113.0/24 then 198.51.100.0/24 then 198.18.0.0/15.
///
/// NodePorts are unique within `nodePortRange` (30000–32767 by default, 2,768 ports). When the
/// range runs out, further NodePort/LoadBalancer services are created as ClusterIP services
/// instead (the cap); pass a wider range (e.g. `30000...65535`) to get more.
public struct SyntheticCluster: Sendable {
    /// The service CIDR ClusterIPs come from.
    public static let serviceCIDR = "10.96.0.0/12"
    /// The pod CIDR (`--cluster-cidr`); node N owns 10.244.N.0/24.
    public static let clusterCIDR = "10.244.0.0/16"
    /// The IPv6 pod CIDR; node N owns fd00:10:244:N::/64.
    public static let clusterCIDRv6 = "fd00:10:244::/48"

    public let seed: UInt64
    /// Number of services asked for.
    public let serviceCount: Int
    /// Endpoints per slice, clamped to 0...(254 × nodes) so pod IPs stay unique per service.
    public let endpointsPerService: Int
    /// Number of nodes, clamped to 1...254.
    public let nodeCount: Int
    public let mix: ServiceMix
    /// The node the proxy under test runs on (the first node).
    public let nodeName: String
    public let nodePortRange: ClosedRange<Int>
    /// The Node objects, `nodeName` first.
    public let nodes: [Node]

    var topology: ClusterTopology
    var factory: ServiceFactory
    var records: [SyntheticService]
    /// Allocator state after the initial services, so churn continues without collisions.
    var addresses: AddressAllocator
    var rng: SplitMix64

    public init(seed: UInt64, services: Int, endpointsPerService: Int, nodes: Int = 3, mix: ServiceMix = .default,
                nodeName: String = "node-0", nodePortRange: ClosedRange<Int> = 30000...32767) {
        self.seed = seed
        self.serviceCount = max(0, services)
        self.nodeCount = min(max(nodes, 1), 254)
        self.endpointsPerService = min(max(endpointsPerService, 0), 254 * nodeCount)
        self.mix = mix
        self.nodeName = nodeName
        self.nodePortRange = nodePortRange

        let names = Self.nodeNames(count: nodeCount, first: nodeName)
        let topology = ClusterTopology(nodeNames: names, zones: Array(["zone-a", "zone-b", "zone-c"].prefix(nodeCount)))
        self.topology = topology
        let withIPv6 = mix.dualStack > 0 || mix.ipv6Only > 0
        self.nodes = names.indices.map { Self.node(index: $0, topology: topology, ipv6: withIPv6) }

        let root = SplitMix64(seed: seed)
        var profileRNG = root.derived(1)
        addresses = AddressAllocator(rng: root.derived(2), nodePortRange: nodePortRange)
        rng = root.derived(3)
        factory = ServiceFactory(topology: topology, endpointsPerService: self.endpointsPerService,
                                 terminatingFraction: mix.terminatingEndpoints)
        let profiles = ServiceProfile.assign(count: serviceCount, mix: mix, rng: &profileRNG)
        var built: [SyntheticService] = []
        built.reserveCapacity(serviceCount)
        for (i, profile) in profiles.enumerated() {
            built.append(factory.make(index: i, profile: profile, addresses: &addresses, rng: &rng))
        }
        records = built
    }

    /// Every object: the Nodes, then each Service followed by its EndpointSlices.
    public func objects() -> [KubeObject] {
        var out: [KubeObject] = nodes.map { .node($0) }
        out.reserveCapacity(nodes.count + records.count * 3)
        for r in records {
            out.append(.service(r.service))
            for s in r.slices { out.append(.endpointSlice(s)) }
        }
        return out
    }

    /// The Service objects, in index order.
    public var services: [Service] { records.map(\.service) }

    /// The EndpointSlice objects, in service order.
    public var endpointSlices: [EndpointSlice] { records.flatMap(\.slices) }

    /// `first`, then `node-1`, `node-2`, … skipping a name equal to `first`.
    static func nodeNames(count: Int, first: String) -> [String] {
        var names = [first]
        var k = 1
        while names.count < count {
            let candidate = "node-\(k)"
            if candidate != first { names.append(candidate) }
            k += 1
        }
        return names
    }

    static func node(index i: Int, topology: ClusterTopology, ipv6: Bool) -> Node {
        let name = topology.nodeNames[i]
        var podCIDRs = ["10.244.\(i).0/24"]
        var addresses = [NodeAddress(type: "InternalIP", address: AddressAllocator.nodeIP(node: i, family: .ipv4).description)]
        if ipv6 {
            let prefix = CIDR(address: AddressAllocator.podIP(node: i, host: 0, family: .ipv6), prefixLength: 64)
            podCIDRs.append(prefix?.description ?? "")
            addresses.append(NodeAddress(type: "InternalIP", address: AddressAllocator.nodeIP(node: i, family: .ipv6).description))
        }
        addresses.append(NodeAddress(type: "Hostname", address: name))
        let meta = ObjectMeta(name: name, resourceVersion: "1",
                              labels: [Node.zoneLabel: topology.zone(ofNode: i), "kubernetes.io/hostname": name])
        return Node(metadata: meta, spec: NodeSpec(podCIDR: podCIDRs[0], podCIDRs: podCIDRs),
                    status: NodeStatus(addresses: addresses))
    }
}
