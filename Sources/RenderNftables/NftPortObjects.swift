import Model
import SwitchyardCore

/// A shared DNAT chain: one per (path, endpoint count) in use, with its frontend set
/// (`cip_3`: the ClusterIP frontends with 3 endpoints) and the dispatch rule that sends the
/// set's frontends to the chain.
public struct NftSharedChain: Hashable, Comparable, Sendable {
    var path: NftPath
    var count: Int
    init(path: NftPath, count: Int) { self.path = path; self.count = count }

    /// Parses a frontend set name (`cip_3`).
    public init?(frontendSet name: String) {
        guard let (p, n) = Self.parse(name, separator: "_", suffix: "") else { return nil }
        path = p; count = n
    }

    /// The shared chain of an endpoint map name (`cip_eps_3` → `cip-3`).
    public init?(endpointMap name: String) {
        guard let (p, n) = Self.parse(name, separator: "_", suffix: "_eps") else { return nil }
        path = p; count = n
    }

    /// Parses a shared chain name (`cip-3`).
    public init?(chain name: String) {
        guard let (p, n) = Self.parse(name, separator: "-", suffix: "") else { return nil }
        path = p; count = n
    }

    /// `<path><suffix><separator><count>` with a canonical positive count (no sign, no leading
    /// zero), without building strings: the applier's codec asks this for every element.
    private static func parse(_ name: String, separator: Character, suffix: String) -> (NftPath, Int)? {
        guard let sep = name.lastIndex(of: separator) else { return nil }
        let digits = name.utf8[name.utf8.index(after: sep)...]
        guard let first = digits.first, first != UInt8(ascii: "0"), digits.count <= 9 else { return nil }
        var n = 0
        for d in digits {
            guard d >= UInt8(ascii: "0"), d <= UInt8(ascii: "9") else { return nil }
            n = n * 10 + Int(d - UInt8(ascii: "0"))
        }
        let head = name[..<sep]
        guard head.hasSuffix(suffix), let p = NftPath(rawValue: String(head.dropLast(suffix.count))) else { return nil }
        return (p, n)
    }

    /// The shared chain's name (`cip-3`).
    public var name: String { path.chain(endpoints: count) }
    /// The dispatch chain whose rule sends this set's frontends here.
    public var dispatchChain: String { path.dispatchChain }
    /// The dispatch rule (`ip daddr . meta l4proto . th dport @cip_3 goto cip-3`).
    public func dispatchRule(family: NftFamily) -> NftRule { NftRules.dispatch(self, family: family) }
    /// The endpoint map the chain's DNAT rule indexes (`cip_eps_3`: one per path and count).
    public var endpointMap: String { path.endpointMap(endpoints: count) }
    /// The frontend set's name.
    public var setName: String { path.frontendSet(endpoints: count) }
    /// True for NodePort paths: set keys are `proto . port`, else `addr . proto . port`.
    public var isNodePort: Bool { path.isNodePort }
    public static func < (a: Self, b: Self) -> Bool { (a.path, a.count) < (b.path, b.count) }

    /// The endpoint maps of `chains`, each once (short-circuit paths share theirs), in order.
    static func endpointMaps(_ chains: [NftSharedChain], family: NftFamily) -> [NftSet] {
        var seen = Set<String>()
        return chains.sorted().compactMap { seen.insert($0.endpointMap).inserted ? NftLayout.endpointMap($0, family: family) : nil }
    }
}

/// Everything one service port contributes to the table: elements of the global sets and
/// maps, and the shared chains it needs (per count; ClientIP affinity: per count and timeout).
struct NftPortObjects {
    /// Elements per set or map, sets in the order the port first added to them (a port touches a
    /// handful of sets: a list, no dictionary per port).
    var elements: [(set: String, elements: [NftElement])] = []
    var sharedChains: Set<NftSharedChain> = []
    /// Shared ClientIP-affinity chains the port's frontends dispatch to.
    var affinityChains: Set<NftAffinityChain> = []

    init() {}

    mutating func add(_ set: String, _ el: NftElement) {
        if let i = elements.lastIndex(where: { $0.set == set }) { elements[i].elements.append(el) } else { elements.append((set, [el])) }
    }

    /// Adds `els` to `set` at once.
    mutating func add(_ set: String, _ els: [NftElement]) {
        if let i = elements.lastIndex(where: { $0.set == set }) { elements[i].elements += els } else { elements.append((set, els)) }
    }

    /// Renders `p` (a port of `family`). `nodeAddresses` are the node's own addresses (LB source ranges).
    /// `positions`: the endpoint positions of a ClientIP-affinity port (`NftAffinityMemo`; nil:
    /// sorted order).
    init(_ p: ServicePort, family: NftFamily, clusterMasquerade: ClusterMasquerade, nodeAddresses: [IPAddress],
         positions: NftAffinityPositions? = nil) {
        let proto = p.key.proto
        let comment = NftNames.comment(p.key)
        var ctx = Context(port: p, family: family, clusterMasquerade: clusterMasquerade, comment: comment, positions: positions)

        ctx.objects.add(NftNames.clusterIPs, NftElement(.address(p.clusterIP)))
        for (path, fe, decision) in Self.frontends(p) { ctx.frontend(fe, path: path, decision: decision) }
        if !p.loadBalancerSourceRanges.isEmpty {
            // kube-proxy: when a node address is inside the ranges, traffic from the node that
            // carries the LB IP as its source is allowed too.
            let allowNode = nodeAddresses.contains { ip in p.loadBalancerSourceRanges.contains { $0.contains(ip) } }
            for ip in p.loadBalancerIPs {
                let key = NftFrontend(address: ip, proto: proto, port: p.port)
                ctx.objects.add(NftNames.firewallFrontends, NftElement(.frontend(key)))
                for r in p.loadBalancerSourceRanges { ctx.objects.add(NftNames.firewallAllowed, NftElement(.source(key, r))) }
                if allowNode, let host = CIDR(address: ip, prefixLength: ip.family == .ipv4 ? 32 : 128) {
                    ctx.objects.add(NftNames.firewallAllowed, NftElement(.source(key, host)))
                }
            }
        }
        var seen = Set<IPAddress>(minimumCapacity: p.clusterEndpoints.count)
        var hairpin: [NftElement] = []
        hairpin.reserveCapacity(p.clusterEndpoints.count)
        for eps in [p.clusterEndpoints, p.localEndpoints] {
            for ep in eps where seen.insert(ep.ip).inserted { hairpin.append(NftElement(.addressPair(ep.ip, ep.ip))) }
        }
        if !hairpin.isEmpty { ctx.objects.add(NftNames.hairpin, hairpin) }
        self = ctx.objects
    }

    /// Every (path, frontend, decision) of a port's frontends, in the order they are rendered (the
    /// restart read-back of affinity positions walks the same list).
    static func frontends(_ p: ServicePort) -> [(NftPath, NftFrontend, TrafficDecision)] {
        let proto = p.key.proto
        var out: [(NftPath, NftFrontend, TrafficDecision)] = [(.cip, NftFrontend(address: p.clusterIP, proto: proto, port: p.port), p.internalTraffic)]
        for ip in p.externalIPs + p.loadBalancerIPs {
            let fe = NftFrontend(address: ip, proto: proto, port: p.port)
            out.append((p.masqueradesExternal ? .ext : .loc, fe, p.externalTraffic))
            if let sc = p.externalShortCircuit { out += [(.scpod, fe, sc), (.scnode, fe, sc)] }
        }
        if let np = p.nodePort {
            let fe = NftFrontend(address: nil, proto: proto, port: np)
            out.append((p.masqueradesExternal ? .npext : .nploc, fe, p.externalTraffic))
            if let sc = p.externalShortCircuit { out += [(.npscpod, fe, sc), (.npscnode, fe, sc)] }
        }
        return out
    }

    /// Builds one port's objects.
    private struct Context {
        let port: ServicePort
        let family: NftFamily
        let clusterMasquerade: ClusterMasquerade
        let comment: String?
        var objects = NftPortObjects()
        /// Frontends whose endpoint slots are in an endpoint map already (a frontend listed twice,
        /// e.g. an external IP that is also the LB IP, adds its slots once). One entry per
        /// frontend, not per slot: a map's frontend always gets all its N slots at once.
        var slotted = Set<Slotted>()
        /// A frontend in an endpoint map.
        struct Slotted: Hashable { let map: String; let key: NftFrontend }
        /// Endpoint positions of an affinity port.
        let positions: NftAffinityPositions?

        init(port: ServicePort, family: NftFamily, clusterMasquerade: ClusterMasquerade, comment: String?,
             positions: NftAffinityPositions?) {
            self.port = port; self.family = family; self.clusterMasquerade = clusterMasquerade; self.comment = comment
            self.positions = positions
        }

        /// One frontend key on one path: dispatch + endpoint elements, or a reject/drop element.
        mutating func frontend(_ key: NftFrontend, path: NftPath, decision: TrafficDecision) {
            let eps = port.endpoints(for: decision)
            guard case .forward = decision, !eps.isEmpty else {
                // Short-circuit paths only ever forward; reject/drop is decided per frontend.
                guard path != .scpod, path != .scnode, path != .npscpod, path != .npscnode else { return }
                let drop = decision == .drop
                let set = path.isNodePort ? (drop ? NftNames.dropNodePort : NftNames.rejectNodePort)
                                          : (drop ? NftNames.dropAddr : NftNames.rejectAddr)
                objects.add(set, NftElement(.frontend(key)))
                return
            }
            if let timeout = port.affinityTimeout, case .forward(let list) = decision {
                affinity(key, path: path, endpoints: positions?[list] ?? [Endpoint].affinityPositions(following: nil, current: eps),
                         timeout: timeout)
                return
            }
            let shared = NftSharedChain(path: path, count: eps.count)
            objects.sharedChains.insert(shared)
            objects.add(shared.setName, NftElement(.frontend(key), comment: comment))
            let map = shared.endpointMap
            guard slotted.insert(Slotted(map: map, key: key)).inserted else { return }
            var els: [NftElement] = []
            els.reserveCapacity(eps.count)
            for (i, ep) in eps.enumerated() { els.append(NftElement(.slot(key, UInt32(i)), data: .endpoint(ep.ip, ep.port))) }
            objects.add(map, els)
        }

        /// An affinity frontend: its count set element and one element per position map.
        mutating func affinity(_ key: NftFrontend, path: NftPath, endpoints ordered: [Endpoint], timeout: UInt32) {
            let chain = NftAffinityChain(path: path, count: ordered.count, timeout: timeout)
            objects.affinityChains.insert(chain)
            objects.add(chain.setName, NftElement(.frontend(key), comment: comment))
            guard slotted.insert(Slotted(map: NftAffinityChain.positionMap(path, 0), key: key)).inserted else { return }
            for (k, ep) in ordered.enumerated() {
                objects.add(NftAffinityChain.positionMap(path, k), NftElement(.frontend(key), data: .endpoint(ep.ip, ep.port)))
            }
        }
    }
}
