import Model
import SwitchyardCore

/// Rule builders. Every piece of rule text comes from typed values or names this module made.
enum NftRules {
    /// The masquerade mark bit (`NftNames.markBit` as a number).
    static let markBitValue: UInt32 = 0x0000_4000

    static func markRules(_ path: NftPath, family: NftFamily, clusterMasquerade: ClusterMasquerade) -> [NftRule] {
        let set = NftExpr.markBits(markBitValue)
        switch path.mark {
        case .never: return []
        case .always: return [NftRule(NftRuleBody(family: family, [set]))]
        case .clusterPolicy:
            switch clusterMasquerade {
            case .all: return [NftRule(NftRuleBody(family: family, [set]))]
            case .none: return []
            case .sourcesOutside:
                return [NftRule(NftRuleBody(family: family, [.lookup([.saddr], set: NftNames.podCIDRs, inverted: true), set]))]
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
    static func dnat(_ ep: Endpoint, proto: L4Protocol) -> [NftExpr] { [.l4proto(proto), .dnat(ep.ip, port: ep.port)] }

    /// The fields of `frontendKey`.
    static func frontendFields(_ path: NftPath) -> [NftField] { path.isNodePort ? [.l4proto, .dport] : [.daddr, .l4proto, .dport] }

    /// ClientIP affinity: a recent client returns to its endpoint; a new one picks uniformly by a
    /// `numgen` cascade and is recorded. Each endpoint's recent clients live in a shared slot set
    /// keyed `client . frontend` (`NftAffinitySlots`), whose elements carry the port's timeout, or —
    /// when two endpoints of the port share a slot — in its own set keyed by client (kube-proxy's shape).
    /// Every rule has a typed form (`NftRuleBody`).
    static func affinity(_ key: ServicePortKey, path: NftPath, endpoints: [Endpoint], proto: L4Protocol,
                         family: NftFamily, clusterMasquerade: ClusterMasquerade,
                         slots: NftAffinitySlots, timeout: UInt32) -> [NftRule] {
        var rules = markRules(path, family: family, clusterMasquerade: clusterMasquerade)
        let sharedKey: [NftField] = [.saddr] + frontendFields(path)
        func recent(_ ep: Endpoint) -> (set: String, key: [NftField], timeout: UInt32?) {
            if let s = slots.slot(of: ep) {
                return (NftNames.affinitySlotSet(s, nodePort: path.isNodePort), sharedKey, timeout)
            }
            return (NftNames.affinitySet(key, ep), [.saddr], nil)
        }
        func rule(_ exprs: [NftExpr]) -> NftRule { NftRule(NftRuleBody(family: family, exprs)) }
        for ep in endpoints {
            let r = recent(ep)
            rules.append(rule([.lookup(r.key, set: r.set, inverted: false)] + dnat(ep, proto: proto)))
        }
        for (i, ep) in endpoints.enumerated() {
            let remaining = endpoints.count - i
            let pick: [NftExpr] = remaining > 1 ? [.numgen(modulus: UInt32(remaining), equals: 0)] : []
            let r = recent(ep)
            rules.append(rule(pick + [.update(set: r.set, key: r.key, timeoutSeconds: r.timeout)] + dnat(ep, proto: proto)))
        }
        return rules
    }
}
