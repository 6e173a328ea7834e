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
        // Sorted through small keys (address, port, preference, position), so no candidate is
        // copied before it is kept: the order a stable sort by address, port and `preferred`
        // gives, the position keeping equal candidates in slice order.
        var keys: [CandidateKey] = []
        for s in slices.indices {
            guard let sp = slices[s].ports.first(where: { $0.name == spec.name && $0.proto == spec.proto }) else { continue }
            keys.reserveCapacity(keys.count + slices[s].endpoints.count)
            for e in slices[s].endpoints.indices {
                keys.append(CandidateKey(slices[s].endpoints[e], port: sp.port, isLocal: slices[s].endpoints[e].nodeName == nodeName,
                                         slice: s, endpoint: e))
            }
        }
        // Slices usually list their endpoints in address order already: check before sorting.
        if zip(keys, keys.dropFirst()).contains(where: { !($0 < $1) }) { keys.sort() }
        var out: [EndpointSelection.Candidate] = []
        out.reserveCapacity(keys.count)
        var last: CandidateKey? = nil
        for k in keys where last.map({ !$0.sameAddressAndPort(k) }) ?? true {
            last = k
            out.append(EndpointSelection.Candidate(endpoint: slices[k.slice].endpoints[k.endpoint], port: k.port, isLocal: k.isLocal))
        }
        return out
    }

    /// A candidate's sort key: family, address, port, then `preferred` as a rank (ready,
    /// serving, local), then its place in the slices.
    private struct CandidateKey: Comparable {
        let family: UInt8, high: UInt64, low: UInt64
        /// port (bits 35–50), rank (32–34: lower is preferred), position in the endpoint list (0–31).
        let tail: UInt64
        let slice: Int
        var port: UInt16 { UInt16(truncatingIfNeeded: tail >> 35) }
        var isLocal: Bool { tail & (1 << 32) == 0 }
        var endpoint: Int { Int(tail & 0xffff_ffff) }

        init(_ ep: SliceEndpoint, port: UInt16, isLocal: Bool, slice: Int, endpoint: Int) {
            family = ep.ip.family == .ipv4 ? 0 : 1
            high = ep.ip.high; low = ep.ip.low
            let rank = UInt64((ep.ready ? 0 : 4) | (ep.serving ? 0 : 2) | (isLocal ? 0 : 1))
            tail = UInt64(port) << 35 | rank << 32 | UInt64(UInt32(truncatingIfNeeded: endpoint))
            self.slice = slice
        }

        func sameAddressAndPort(_ o: CandidateKey) -> Bool {
            family == o.family && high == o.high && low == o.low && tail >> 35 == o.tail >> 35
        }

        static func < (a: CandidateKey, b: CandidateKey) -> Bool {
            if a.family != b.family { return a.family < b.family }
            if a.high != b.high { return a.high < b.high }
            if a.low != b.low { return a.low < b.low }
            if a.tail >> 32 != b.tail >> 32 { return a.tail >> 32 < b.tail >> 32 }
            if a.slice != b.slice { return a.slice < b.slice }
            return a.tail & 0xffff_ffff < b.tail & 0xffff_ffff
        }
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
