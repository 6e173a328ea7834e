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
}
