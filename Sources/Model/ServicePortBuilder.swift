import SwitchyardCore

/// Builds a service's `ServicePort`s (one per spec port per proxied family) with every decision made.
public enum ServicePortBuilder {
    /// The ports of `service` on this node, given all slices joined to it.
    public static func build(_ service: ValidatedService, slices: [ValidatedSlice], node: NodeInfo,
                             config: NodeConfig) -> [ServicePort] {
        var out: [ServicePort] = []
        for clusterIP in service.clusterIPs where config.families.contains(clusterIP.family) {
            let family = clusterIP.family
            let familySlices = slices.filter { $0.family == family }
            for spec in service.ports {
                let candidates = joinEndpoints(spec, slices: familySlices, nodeName: config.nodeName)
                out.append(port(service, spec: spec, clusterIP: clusterIP, candidates: candidates, node: node))
            }
        }
        return out.sorted { $0.key < $1.key }
    }

    /// One `ServicePort` from its spec and candidate endpoints.
    static func port(_ service: ValidatedService, spec: ValidatedServicePortSpec, clusterIP: IPAddress,
                     candidates: [EndpointSelection.Candidate], node: NodeInfo) -> ServicePort {
        let family = clusterIP.family
        let key = ServicePortKey(service: service.name, portName: spec.name, proto: spec.proto, family: family)
        var p = ServicePort(
            key: key, clusterIP: clusterIP, port: spec.port, nodePort: spec.nodePort,
            externalIPs: sortedUnique(service.externalIPs.filter { $0.family == family }),
            loadBalancerIPs: sortedUnique(service.loadBalancerIPs.filter { $0.family == family }),
            loadBalancerSourceRanges: sortedUnique(service.loadBalancerSourceRanges.filter { $0.family == family }),
            affinityTimeout: service.affinityTimeout, internalPolicyLocal: service.internalTrafficLocal,
            healthCheckNodePort: service.healthCheckNodePort, ipvsScheduler: service.ipvsScheduler)
        let external = p.isExternallyAccessible
        p.externalPolicyLocal = service.externalTrafficLocal && external
        // (`choose` is `.all` without a preference; skip copying the endpoints out then.)
        let topology = service.topology == .none ? TopologyFilter.all
            : TopologyFilter.choose(preference: service.topology, endpoints: candidates.map(\.endpoint),
                                    nodeName: node.name, zone: node.zone)
        let selection = EndpointSelection.categorize(
            candidates, usesCluster: !p.internalPolicyLocal || external,
            usesLocal: p.internalPolicyLocal || p.externalPolicyLocal, topology: topology)
        p.clusterEndpoints = selection.cluster
        p.localEndpoints = selection.local
        p.internalTraffic = TrafficPolicyDecision.decide(policyLocal: p.internalPolicyLocal, selection: selection)
        p.externalTraffic = TrafficPolicyDecision.decide(policyLocal: p.externalPolicyLocal, selection: selection)
        return p
    }

    /// Endpoints of every slice for one service port, joined by port name and protocol, sorted by
    /// ip:port and deduplicated (a ready copy wins over a not-ready one, then a local copy over a remote one).
    public static func joinEndpoints(_ spec: ValidatedServicePortSpec, slices: [ValidatedSlice],
                                     nodeName: String) -> [EndpointSelection.Candidate] {
        var all: [EndpointSelection.Candidate] = []
        for slice in slices {
            guard let sp = slice.ports.first(where: { $0.name == spec.name && $0.proto == spec.proto }) else { continue }
            all.reserveCapacity(all.count + slice.endpoints.count)
            for ep in slice.endpoints {
                all.append(EndpointSelection.Candidate(endpoint: ep, port: sp.port, isLocal: ep.nodeName == nodeName))
            }
        }
        // Sort by address, the preferred copy first among equal addresses, then keep the first of each run.
        func ordered(_ a: EndpointSelection.Candidate, _ b: EndpointSelection.Candidate) -> Bool {
            if a.endpoint.ip != b.endpoint.ip { return a.endpoint.ip < b.endpoint.ip }
            if a.port != b.port { return a.port < b.port }
            return preferred(a, over: b)
        }
        // Slices usually list their endpoints in address order already: check before sorting.
        if zip(all, all.dropFirst()).contains(where: { !ordered($0, $1) }) { all.sort(by: ordered) }
        var out: [EndpointSelection.Candidate] = []
        out.reserveCapacity(all.count)
        for c in all where out.last.map({ $0.endpoint.ip != c.endpoint.ip || $0.port != c.port }) ?? true {
            out.append(c)
        }
        return out
    }

    static func preferred(_ a: EndpointSelection.Candidate, over b: EndpointSelection.Candidate) -> Bool {
        if a.endpoint.ready != b.endpoint.ready { return a.endpoint.ready }
        if a.endpoint.serving != b.endpoint.serving { return a.endpoint.serving }
        return a.isLocal && !b.isLocal
    }

    static func sortedUnique<T: Hashable & Comparable>(_ items: [T]) -> [T] {
        items.count < 2 ? items : Array(Set(items)).sorted()
    }
}
