import Model
import SwitchyardCore

/// Rule builders. Every piece of rule text comes from typed values or names this module made.
enum NftRules {
    static func markRules(_ path: NftPath, family: NftFamily, clusterMasquerade: ClusterMasquerade) -> [NftRule] {
        let set = NftRule("meta mark set meta mark | \(NftNames.markBit)")
        switch path.mark {
        case .never: return []
        case .always: return [set]
        case .clusterPolicy:
            switch clusterMasquerade {
            case .all: return [set]
            case .none: return []
            case .sourcesOutside: return [NftRule("\(family.header) saddr != @\(NftNames.podCIDRs)", set.text)]
            }
        }
    }

    /// The key expression a path's maps are indexed with (without the endpoint index).
    static func frontendKey(_ path: NftPath, family: NftFamily) -> String {
        path.isNodePort ? "meta l4proto . th dport" : "\(family.header) daddr . meta l4proto . th dport"
    }

    /// The shared chain's rules: masquerade mark, then DNAT through the global endpoint map.
    static func shared(_ c: NftSharedChain, family: NftFamily, clusterMasquerade: ClusterMasquerade) -> [NftRule] {
        markRules(c.path, family: family, clusterMasquerade: clusterMasquerade) + [
            NftRule("dnat \(family.header) to \(frontendKey(c.path, family: family)) . numgen random mod \(c.count) map @\(c.endpointMap)"),
        ]
    }

    /// The dispatch rule of a shared chain: frontends in its count set go to it.
    static func dispatch(_ c: NftSharedChain, family: NftFamily) -> NftRule {
        NftRule("\(frontendKey(c.path, family: family)) @\(c.setName) goto \(c.name)")
    }

    /// `dnat ip to 10.0.0.1:80` / `dnat ip6 to [fd00::1]:80`, preceded by the protocol match nft requires.
    static func dnat(_ ep: Endpoint, proto: L4Protocol, family: NftFamily) -> String {
        let addr = family == .ip ? ep.ip.description : "[\(ep.ip)]"
        return "meta l4proto \(proto.lowercased) dnat \(family.header) to \(addr):\(ep.port)"
    }

    /// ClientIP affinity: a recent client returns to its endpoint; a new one picks uniformly by a
    /// `numgen` cascade and is recorded. Each endpoint's recent clients live in a shared slot set
    /// keyed `client . frontend` (`NftAffinitySlots`), whose elements carry the port's timeout, or —
    /// when two endpoints of the port share a slot — in its own set keyed by client (kube-proxy's shape).
    static func affinity(_ key: ServicePortKey, path: NftPath, endpoints: [Endpoint], proto: L4Protocol,
                         family: NftFamily, clusterMasquerade: ClusterMasquerade,
                         slots: NftAffinitySlots, timeout: UInt32) -> [NftRule] {
        var rules = markRules(path, family: family, clusterMasquerade: clusterMasquerade)
        let saddr = "\(family.header) saddr"
        let sharedKey = "\(saddr) . \(frontendKey(path, family: family))"
        func recent(_ ep: Endpoint) -> (set: String, key: String, timeout: String) {
            if let s = slots.slot(of: ep) {
                return (NftNames.affinitySlotSet(s, nodePort: path.isNodePort), sharedKey, " timeout \(timeout)s")
            }
            return (NftNames.affinitySet(key, ep), saddr, "")
        }
        for ep in endpoints {
            let r = recent(ep)
            rules.append(NftRule("\(r.key) @\(r.set)", dnat(ep, proto: proto, family: family)))
        }
        for (i, ep) in endpoints.enumerated() {
            let remaining = endpoints.count - i
            let pick = remaining > 1 ? "numgen random mod \(remaining) 0" : ""
            let r = recent(ep)
            rules.append(NftRule(pick, "update @\(r.set) { \(r.key)\(r.timeout) }", dnat(ep, proto: proto, family: family)))
        }
        return rules
    }
}
