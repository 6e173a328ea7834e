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
        guard let sep = name.lastIndex(of: "_"), let p = NftPath(rawValue: String(name[..<sep])),
              let n = Int(name[name.index(after: sep)...]), n > 0, name == p.frontendSet(endpoints: n) else { return nil }
        path = p; count = n
    }

    /// The shared chain of an endpoint map name (`cip_eps_3` → `cip-3`).
    public init?(endpointMap name: String) {
        guard let sep = name.lastIndex(of: "_"), let n = Int(name[name.index(after: sep)...]), n > 0,
              let p = NftPath.allCases.first(where: { $0.endpointMapBase == name[..<sep] }),
              name == p.endpointMap(endpoints: n) else { return nil }
        path = p; count = n
    }

    /// Parses a shared chain name (`cip-3`).
    public init?(chain name: String) {
        guard let sep = name.lastIndex(of: "-"), let p = NftPath(rawValue: String(name[..<sep])),
              let n = Int(name[name.index(after: sep)...]), n > 0, name == p.chain(endpoints: n) else { return nil }
        path = p; count = n
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
/// maps, the shared chains it needs, and (ClientIP affinity only) its own chains and sets.
struct NftPortObjects {
    /// Set or map name → elements, in rendering order.
    var elements: [String: [NftElement]] = [:]
    var sharedChains: Set<NftSharedChain> = []
    /// Affinity chain name → rules.
    var affinityChains: [String: [NftRule]] = [:]
    /// Affinity set name → declaration (shared slot sets and per-endpoint sets).
    var affinitySets: [String: NftSet] = [:]

    init() {}

    mutating func add(_ set: String, _ el: NftElement) { elements[set, default: []].append(el) }

    /// Renders `p` (a port of `family`). `nodeAddresses` are the node's own addresses (LB source ranges).
    init(_ p: ServicePort, family: NftFamily, clusterMasquerade: ClusterMasquerade, nodeAddresses: [IPAddress]) {
        let proto = p.key.proto.lowercased
        let portText = NftText.number(Int(p.port))
        let comment = NftNames.comment(p.key)
        var ctx = Context(port: p, family: family, clusterMasquerade: clusterMasquerade, comment: comment)

        let clusterIP = NftText.address(p.clusterIP)
        ctx.objects.add(NftNames.clusterIPs, NftElement([clusterIP]))
        ctx.frontend([clusterIP, proto, portText], path: .cip, decision: p.internalTraffic)

        for ip in p.externalIPs + p.loadBalancerIPs {
            let key = [NftText.address(ip), proto, portText]
            ctx.frontend(key, path: p.masqueradesExternal ? .ext : .loc, decision: p.externalTraffic)
            if let sc = p.externalShortCircuit {
                ctx.frontend(key, path: .scpod, decision: sc)
                ctx.frontend(key, path: .scnode, decision: sc)
            }
        }
        if !p.loadBalancerSourceRanges.isEmpty {
            // kube-proxy: when a node address is inside the ranges, traffic from the node that
            // carries the LB IP as its source is allowed too.
            let allowNode = nodeAddresses.contains { ip in p.loadBalancerSourceRanges.contains { $0.contains(ip) } }
            for ip in p.loadBalancerIPs {
                let key = [NftText.address(ip), proto, portText]
                ctx.objects.add(NftNames.firewallFrontends, NftElement(key))
                for r in p.loadBalancerSourceRanges {
                    ctx.objects.add(NftNames.firewallAllowed, NftElement(key + [r.prefixLength == (family == .ip ? 32 : 128) ? r.address.description : r.description]))
                }
                if allowNode { ctx.objects.add(NftNames.firewallAllowed, NftElement(key + [ip.description])) }
            }
        }
        if let np = p.nodePort {
            let key = [proto, NftText.number(Int(np))]
            ctx.frontend(key, path: p.masqueradesExternal ? .npext : .nploc, decision: p.externalTraffic)
            if let sc = p.externalShortCircuit {
                ctx.frontend(key, path: .npscpod, decision: sc)
                ctx.frontend(key, path: .npscnode, decision: sc)
            }
        }
        var seen = Set<IPAddress>()
        for ep in p.clusterEndpoints + p.localEndpoints where seen.insert(ep.ip).inserted {
            let ip = NftText.address(ep.ip)
            ctx.objects.add(NftNames.hairpin, NftElement([ip, ip]))
        }
        self = ctx.objects
    }

    /// Builds one port's objects.
    private struct Context {
        let port: ServicePort
        let family: NftFamily
        let clusterMasquerade: ClusterMasquerade
        let comment: String?
        var objects = NftPortObjects()
        /// Endpoint slots already added (both short-circuit paths share one list).
        var slots = Set<Slot>()
        /// An endpoint slot: map, frontend key and endpoint index.
        struct Slot: Hashable { let map: String; let key: [String]; let index: Int }
        /// Shared recent-client sets of the port's endpoints (affinity ports only).
        let affinitySlots: NftAffinitySlots

        init(port: ServicePort, family: NftFamily, clusterMasquerade: ClusterMasquerade, comment: String?) {
            self.port = port; self.family = family; self.clusterMasquerade = clusterMasquerade; self.comment = comment
            affinitySlots = port.affinityTimeout == nil ? NftAffinitySlots() : NftAffinitySlots(port)
        }

        /// One frontend key on one path: dispatch + endpoint elements, or a reject/drop element.
        mutating func frontend(_ key: [String], path: NftPath, decision: TrafficDecision) {
            let eps = port.endpoints(for: decision)
            guard case .forward = decision, !eps.isEmpty else {
                // Short-circuit paths only ever forward; reject/drop is decided per frontend.
                guard path != .scpod, path != .scnode, path != .npscpod, path != .npscnode else { return }
                let drop = decision == .drop
                let set = path.isNodePort ? (drop ? NftNames.dropNodePort : NftNames.rejectNodePort)
                                          : (drop ? NftNames.dropAddr : NftNames.rejectAddr)
                objects.add(set, NftElement(key))
                return
            }
            if let timeout = port.affinityTimeout {
                let rules = NftRules.affinity(port.key, path: path, endpoints: eps, proto: port.key.proto,
                                              family: family, clusterMasquerade: clusterMasquerade,
                                              slots: affinitySlots, timeout: timeout)
                let chain = NftNames.affinityChain(port.key, path, rules: rules)
                objects.add(path.dispatchMap, NftElement(key, value: "goto \(chain)", comment: comment))
                if objects.affinityChains[chain] == nil { objects.affinityChains[chain] = rules }
                for ep in eps {
                    if let s = affinitySlots.slot(of: ep) {
                        let name = NftNames.affinitySlotSet(s, nodePort: path.isNodePort)
                        objects.affinitySets[name] = NftNames.affinitySlotDeclaration(name, family: family)
                    } else {
                        let name = NftNames.affinitySet(port.key, ep)
                        objects.affinitySets[name] = NftNames.affinityEndpointDeclaration(name, family: family, timeout: timeout)
                    }
                }
                return
            }
            let shared = NftSharedChain(path: path, count: eps.count)
            objects.sharedChains.insert(shared)
            objects.add(shared.setName, NftElement(key, comment: comment))
            let map = shared.endpointMap
            for (i, ep) in eps.enumerated() where slots.insert(Slot(map: map, key: key, index: i)).inserted {
                var k = key
                k.reserveCapacity(key.count + 1)
                k.append(NftText.number(i))
                objects.add(map, NftElement(k, value: NftText.endpoint(ep)))
            }
        }
    }
}
