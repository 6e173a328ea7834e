import RenderNftables

/// A full transaction split for the fast full sync (three steps instead of one `nft -f` of
/// everything, whose parsing of 200k+ elements dominated the cold sync):
///
/// 1. `skeleton` (nft script, small): our tables, every set and map (`add`: existing ones are
///    kept with their elements), every chain, each chain flushed and its rules re-added, and the
///    few sets the netlink codec does not encode (interval sets) flushed and reloaded. A table that
///    already exists keeps serving throughout: rules of one ruleset version are the same, the
///    shared DNAT chains are kept untouched (nft 1.0.6 cannot re-add their rules; their marker
///    chain says they have the right shape, else `fallback` is set), and the dispatch rules of
///    count sets the new state no longer uses are kept until step 3.
/// 2. `flushes` + `chains` + `loads` (ONE raw nfnetlink batch, atomic): every set the codec knows
///    is flushed, the affinity chains the kernel lacks are created with their rules (when every rule
///    has a typed form `NftRuleCodec` encodes; otherwise they stay in the skeleton), and the sets are
///    refilled — after the chains, so dispatch elements can `goto` them — and stale sets are flushed.
///    Established and new connections see either the old or the new data, never a gap.
/// 3. `cleanup` (nft script, only when the kernel held objects the new table lacks): dispatch
///    chains rewritten exactly, stale chains and sets deleted.
struct NftLoadPlan {
    var skeleton: NftTransaction
    var flushes: [(family: NftFamily, set: String)] = []
    var loads: [NftNetlink.Op] = []
    /// Affinity chains created in the batch (before `loads`), with their rules.
    var chains: [Chain] = []
    var cleanup: NftTransaction?
    /// Set when the table exists but cannot be updated in place: its shared chains have another
    /// shape (marker chain) or lack a chain the render needs. nft 1.0.6 cannot add rules that use
    /// the existing endpoint maps, so only one transaction that replaces the table can load it.
    var fallback: String?

    /// The shared chain (per count, or affinity per count and timeout) of a stale frontend set.
    private struct Stale {
        var name: String, dispatchChain: String, rule: NftRule
        init?(frontendSet s: String, family f: NftFamily) {
            if let c = NftSharedChain(frontendSet: s) {
                name = c.name; dispatchChain = c.dispatchChain; rule = c.dispatchRule(family: f)
            } else if let c = NftAffinityChain(frontendSet: s) {
                name = c.name; dispatchChain = c.dispatchChain; rule = c.dispatchRule(family: f)
            } else { return nil }
        }
    }

    /// A chain the batch creates, with its rules.
    struct Chain: Hashable { var family: NftFamily; var name: String; var rules: [NftRule] }

    /// One family's part of a full render.
    private struct Family {
        var proxied = false
        var sets: [(NftSet, Bool)] = []
        var chains: [NftChain] = []
        var rules: [(String, NftRule)] = []
        var elements: [(String, [NftElement])] = []
    }

    /// - Parameters:
    ///   - full: a full render's transaction (per family: add/delete table, then the table).
    ///   - inventory: what the kernel holds now, per family (absent: nothing).
    ///   - loadable: whether the netlink codec encodes a set's elements.
    ///   - ruleLoadable: whether the netlink codec encodes a rule (nil: every chain goes in the skeleton).
    init(full: NftTransaction, inventory: [NftFamily: NftNetlink.Inventory], loadable: (String) -> Bool,
         ruleLoadable: ((NftRule) -> Bool)? = nil) {
        var fams: [NftFamily: Family] = [:]
        var order: [NftFamily] = []
        for c in full.commands {
            switch c {
            case .addTable(let f): if fams[f] == nil { order.append(f); fams[f] = Family() } else { fams[f]!.proxied = true }
            case .addSet(let f, let s, let isMap): fams[f, default: Family()].sets.append((s, isMap))
            case .addChain(let f, let ch): fams[f, default: Family()].chains.append(ch)
            case .addRule(let f, let chain, let r): fams[f, default: Family()].rules.append((chain, r))
            case .addElements(let f, let set, let els): fams[f, default: Family()].elements.append((set, els))
            default: break
            }
        }
        var step1: [NftCommand] = [], step3: [NftCommand] = []
        for f in order {
            let fam = fams[f]!
            guard fam.proxied else { step1 += [.addTable(f), .deleteTable(f)]; continue }
            let inv = inventory[f] ?? NftNetlink.Inventory()
            let shared = Set(fam.chains.map(\.name).filter { NftSharedChain(chain: $0) != nil || NftAffinityChain(chain: $0) != nil })
            // Shared chains already in the kernel stay as they are (same marker: same rules).
            var keep: Set<String> = []
            if inv.exists {
                let marker = fam.chains.first { $0.name.hasPrefix(NftNames.shapeMarkerPrefix) }?.name
                guard let marker, inv.chains.contains(marker) else {
                    fallback = "\(f.rawValue) table has another shape (no chain \(marker ?? "shape-…"))"; break
                }
                // Missing ones are created with their (new) endpoint maps in the same script.
                // (Affinity chains' rules are a function of their name and the marker too.)
                keep = shared.intersection(inv.chains)
            }
            // Chains the kernel lacks go to the batch when the codec encodes all their rules (none of
            // today's shapes: every shared chain has a text-only rule).
            var rulesByChain: [String: [NftRule]] = [:]
            for (chain, r) in fam.rules { rulesByChain[chain, default: []].append(r) }
            var viaBatch: Set<String> = []
            if let ruleLoadable {
                for ch in fam.chains where ch.hook == nil && !keep.contains(ch.name) {
                    let rules = rulesByChain[ch.name] ?? []
                    guard !rules.isEmpty, rules.allSatisfy(ruleLoadable) else { continue }
                    viaBatch.insert(ch.name)
                    chains.append(Chain(family: f, name: ch.name, rules: rules))
                }
            }
            let setNames = Set(fam.sets.map { $0.0.name })
            let staleSets = inv.sets.subtracting(setNames).sorted()
            let staleCounts = staleSets.compactMap { Stale(frontendSet: $0, family: f) }
            step1.append(.addTable(f))
            for (s, isMap) in fam.sets { step1.append(.addSet(f, s, isMap: isMap)) }
            for ch in fam.chains where !viaBatch.contains(ch.name) { step1.append(.addChain(f, ch)) }
            let chainNames = Set(fam.chains.map(\.name))
            for c in staleCounts where !chainNames.contains(c.name) { step1.append(.addChain(f, NftChain(c.name))) }
            let untouched = keep.union(viaBatch)
            for ch in fam.chains where !untouched.contains(ch.name) { step1.append(.flushChain(f, ch.name)) }
            for (chain, r) in fam.rules where !untouched.contains(chain) { step1.append(.addRule(f, chain: chain, r)) }
            // Stale count sets keep their dispatch rules (and data) until the batch replaced the data.
            for c in staleCounts { step1.append(.addRule(f, chain: c.dispatchChain, c.rule)) }
            for (s, isMap) in fam.sets where !loadable(s.name) && !s.flags.contains("dynamic") {
                step1.append(.flushSet(f, s.name, isMap: isMap))
            }
            for (set, els) in fam.elements where !loadable(set) { step1.append(.addElements(f, set: set, els)) }

            for (s, _) in fam.sets where loadable(s.name) { flushes.append((f, s.name)) }
            for s in staleSets { flushes.append((f, s)) }
            for (set, els) in fam.elements where loadable(set) {
                loads.append(NftNetlink.Op(add: true, family: f, table: full.table, set: set, elements: els))
            }

            let staleChains = inv.chains.subtracting(chainNames).sorted()
            guard !staleSets.isEmpty || !staleChains.isEmpty else { continue }
            let dispatch = NftNames.dispatchChains
            for ch in fam.chains where dispatch.contains(ch.name) { step3.append(.flushChain(f, ch.name)) }
            for (chain, r) in fam.rules where dispatch.contains(chain) { step3.append(.addRule(f, chain: chain, r)) }
            for ch in staleChains { step3.append(.deleteChain(f, ch)) }
            for s in staleSets { step3.append(.deleteSet(f, s, isMap: false)) }
        }
        skeleton = NftTransaction(table: full.table, commands: step1)
        cleanup = step3.isEmpty ? nil : NftTransaction(table: full.table, commands: step3)
    }
}
