import KubeObjects
import SwitchyardCore

/// The nodes and zones of a synthetic cluster.
struct ClusterTopology: Hashable, Sendable {
    var nodeNames: [String]
    /// Zone of node i: `zones[i % zones.count]`.
    var zones: [String]

    func zone(ofNode i: Int) -> String { zones[i % zones.count] }
}

/// One synthetic service with its slices and the NodePorts it holds.
struct SyntheticService: Hashable, Sendable {
    var service: Service
    var slices: [EndpointSlice]
    var nodePorts: [Int]
    var ref: ObjectRef { KubeObject.service(service).ref }
}

/// Builds the raw objects of one service from its profile.
struct ServiceFactory: Sendable {
    var topology: ClusterTopology
    var endpointsPerService: Int
    /// Probability that an endpoint is terminating.
    var terminatingFraction: Double

    static let namespaceCount = 10
    static let affinityTimeout = 10800

    /// Port names, protocols, ports and target ports, in the order a service takes them.
    static let tcpPorts: [(String, L4Protocol, Int, Int)] = [("http", .tcp, 80, 8080), ("https", .tcp, 443, 8443),
                                                              ("metrics", .tcp, 9090, 9090)]
    static let udpPorts: [(String, L4Protocol, Int, Int)] = [("dns", .udp, 53, 5353), ("http", .tcp, 80, 8080),
                                                              ("https", .tcp, 443, 8443)]

    static func namespace(ofIndex i: Int) -> String { "ns-\(i % namespaceCount)" }
    static func name(ofIndex i: Int) -> String { "svc-\(i)" }

    /// The service with index `i`, or one of type ClusterIP when NodePorts have run out.
    func make(index i: Int, profile requested: ServiceProfile, addresses: inout AddressAllocator,
              rng: inout SplitMix64) -> SyntheticService {
        var profile = requested
        var nodePorts: [Int] = []
        if profile.isExternal {
            if let ports = addresses.takeNodePorts(profile.nodePortsNeeded) {
                nodePorts = ports
            } else {
                profile.kind = .clusterIP; profile.externalLocal = false
            }
        }
        let name = Self.name(ofIndex: i), namespace = Self.namespace(ofIndex: i)
        let ports = Array((profile.udp ? Self.udpPorts : Self.tcpPorts).prefix(profile.portCount))
        let offset = addresses.nextClusterOffset()
        let clusterIPs = profile.families.map { AddressAllocator.clusterIP(offset: offset, family: $0).description }

        var spec = ServiceSpec(type: profile.kind.rawValue, clusterIP: clusterIPs[0], clusterIPs: clusterIPs,
                               ipFamilies: profile.families.map(\.rawValue),
                               ipFamilyPolicy: profile.families.count == 2 ? "PreferDualStack" : "SingleStack")
        spec.ports = ports.enumerated().map { k, p in
            ServicePortSpec(name: p.0, protocol: p.1.rawValue, port: p.2, targetPort: .int(p.3),
                            nodePort: profile.isExternal ? nodePorts[k] : nil)
        }
        if profile.affinity {
            spec.sessionAffinity = "ClientIP"
            spec.sessionAffinityConfig = SessionAffinityConfig(clientIP: ClientIPConfig(timeoutSeconds: Self.affinityTimeout))
        } else {
            spec.sessionAffinity = "None"
        }
        spec.internalTrafficPolicy = profile.internalLocal ? "Local" : "Cluster"
        if profile.isExternal { spec.externalTrafficPolicy = profile.externalLocal ? "Local" : "Cluster" }
        if profile.kind == .loadBalancer && profile.externalLocal { spec.healthCheckNodePort = nodePorts.last }
        if profile.hints { spec.trafficDistribution = "PreferClose" }

        var status: ServiceStatus? = nil
        if profile.kind == .loadBalancer {
            let ingress = profile.families.map { LoadBalancerIngress(ip: addresses.nextLoadBalancerIP(family: $0).description, ipMode: "VIP") }
            status = ServiceStatus(loadBalancer: LoadBalancerStatus(ingress: ingress))
        }
        let meta = ObjectMeta(name: name, namespace: namespace, resourceVersion: "1", labels: ["app": name])
        let service = Service(metadata: meta, spec: spec, status: status)

        let pods = placePods(rng: &rng)
        let slicePorts = ports.map { EndpointPortSpec(name: $0.0, protocol: $0.1.rawValue, port: $0.3) }
        let slices = profile.families.map { family in
            EndpointSlice(metadata: Self.sliceMeta(service: name, namespace: namespace, family: family),
                          addressType: family.rawValue,
                          endpoints: pods.map { endpoint(node: $0.node, host: $0.host, terminating: $0.terminating,
                                                         family: family, hints: profile.hints) },
                          ports: slicePorts)
        }
        return SyntheticService(service: service, slices: slices, nodePorts: nodePorts)
    }

    /// Where the service's pods run: spread round-robin over the nodes from a random start,
    /// with hosts unique per node (so endpoint IPs are unique within the service).
    func placePods(rng: inout SplitMix64) -> [(node: Int, host: Int, terminating: Bool)] {
        let n = topology.nodeNames.count
        let start = rng.below(n), base = rng.below(254)
        var perNode = [Int](repeating: 0, count: n)
        var out: [(node: Int, host: Int, terminating: Bool)] = []
        out.reserveCapacity(endpointsPerService)
        for j in 0..<endpointsPerService {
            let node = (start + j) % n
            let host = (base + perNode[node]) % 254 + 1
            perNode[node] += 1
            out.append((node, host, rng.chance(terminatingFraction)))
        }
        return out
    }

    /// One endpoint: a pod on node `node` with host part `host`.
    func endpoint(node: Int, host: Int, terminating: Bool, family: IPFamily, hints: Bool) -> EndpointSpec {
        let zone = topology.zone(ofNode: node)
        let conditions = terminating ? EndpointConditions(ready: false, serving: true, terminating: true)
                                     : EndpointConditions(ready: true, serving: true, terminating: false)
        return EndpointSpec(addresses: [AddressAllocator.podIP(node: node, host: host, family: family).description],
                            conditions: conditions, nodeName: topology.nodeNames[node], zone: zone,
                            hints: hints ? EndpointHints(forZones: [NamedHint(name: zone)]) : nil)
    }

    static func sliceMeta(service: String, namespace: String, family: IPFamily) -> ObjectMeta {
        ObjectMeta(name: "\(service)-\(family == .ipv4 ? "v4" : "v6")", namespace: namespace, resourceVersion: "1",
                   labels: [EndpointSlice.serviceNameLabel: service,
                            "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io"])
    }
}
