import Model
import SwitchyardCore

/// Renders the element and chain deltas for the ports of one family that changed.
struct NftIncremental {
    let family: NftFamily
    let state: ProxyState

    /// Elements that several ports may share; deleted only when no port of `state` still uses them.
    private static let sharedSets: Set<String> = [NftNames.hairpin, NftNames.clusterIPs]

    func commands(old: [ServicePort], new: [ServicePort]) -> [NftCommand] {
        let f = family
        let masq = state.clusterMasquerade(family: f.ipFamily)
        let nodeAddrs = state.node.addresses.filter { $0.family == f.ipFamily }
        let before = old.map { NftPortObjects($0, family: f, clusterMasquerade: masq, nodeAddresses: nodeAddrs) }
        let after = new.map { NftPortObjects($0, family: f, clusterMasquerade: masq, nodeAddresses: nodeAddrs) }

        var cmds: [NftCommand] = []
        // 1. New affinity sets and (re)built affinity chains (add + flush + rules: idempotent).
        // Shared slot sets are only ever added here (`add` keeps an existing one): other ports may use
        // them; a full sync deletes the unused ones.
        let oldAffSets = before.reduce(into: [String: NftSet]()) { $0.merge($1.affinitySets) { a, _ in a } }
        let newAffSets = after.reduce(into: [String: NftSet]()) { $0.merge($1.affinitySets) { a, _ in a } }
        for (name, s) in newAffSets.sorted(by: { $0.key < $1.key }) where oldAffSets[name] != s {
            if oldAffSets[name] != nil { cmds.append(.deleteSet(f, name, isMap: false)) }
            cmds.append(.addSet(f, s, isMap: false))
        }
        var chains: [(String, [NftRule])] = []
        let newAffChains = after.reduce(into: [String: [NftRule]]()) { $0.merge($1.affinityChains) { a, _ in a } }
        let oldAffChains = before.reduce(into: Set<String>()) { $0.formUnion($1.affinityChains.keys) }
        // A name holds its content (`NftNames.affinityChain`): chains the old ports had stay as they are.
        chains += newAffChains.sorted { $0.key < $1.key }.filter { !oldAffChains.contains($0.key) }.map { ($0.key, $0.value) }
        for (name, rules) in chains {
            cmds.append(.addChain(f, NftChain(name)))
            cmds.append(.flushChain(f, name))
            for r in rules { cmds.append(.addRule(f, chain: name, r)) }
        }
        // Shared chains (with their endpoint maps), frontend sets and dispatch rules of the counts
        // the new ports use. They usually exist already (the applier drops what its record holds:
        // `NftTransaction.droppingExisting`); only a count seen for the first time adds rules, the
        // one kind of delta that makes the kernel revalidate the table.
        // Counts the old ports used exist already and are left out here.
        let oldCounts = before.reduce(into: Set<NftSharedChain>()) { $0.formUnion($1.sharedChains) }
        let counts = after.reduce(into: Set<NftSharedChain>(), { $0.formUnion($1.sharedChains) }).subtracting(oldCounts).sorted()
        for s in NftSharedChain.endpointMaps(counts, family: f) { cmds.append(.addSet(f, s, isMap: true)) }
        for c in counts {
            cmds.append(.addSet(f, NftLayout.frontendSet(c, family: f), isMap: false))
            cmds.append(.addChain(f, NftChain(c.name)))
            for r in NftRules.shared(c, family: f, clusterMasquerade: masq) { cmds.append(.addRule(f, chain: c.name, r)) }
            cmds.append(.addRule(f, chain: c.path.dispatchChain, NftRules.dispatch(c, family: f)))
        }
        // 2. Element deltas: deletions before additions so a key can change its value.
        var oldEls = NftElementMerger(), newEls = NftElementMerger()
        for o in before { oldEls.merge(o.elements) }
        for o in after { newEls.merge(o.elements) }
        let newBySet = Dictionary(uniqueKeysWithValues: newEls.sorted)
        let oldBySet = Dictionary(uniqueKeysWithValues: oldEls.sorted)
        var adds: [NftCommand] = []
        for set in Set(oldBySet.keys).union(newBySet.keys).sorted() {
            let o = oldBySet[set] ?? [], n = newBySet[set] ?? []
            let nSet = Set(n), oSet = Set(o)
            var gone = o.filter { !nSet.contains($0) }
            if Self.sharedSets.contains(set) { gone = stillUnused(gone, set: set) }
            let added = n.filter { !oSet.contains($0) }
            if !gone.isEmpty { cmds.append(.deleteElements(f, set: set, gone)) }
            if !added.isEmpty { adds.append(.addElements(f, set: set, added)) }
        }
        cmds += adds
        // 3. Affinity chains and sets nothing references any more.
        for name in oldAffChains.subtracting(newAffChains.keys).sorted() { cmds.append(.deleteChain(f, name)) }
        for name in Set(oldAffSets.keys).subtracting(newAffSets.keys).sorted() where !name.hasPrefix(NftNames.affinitySlotPrefix) {
            cmds.append(.deleteSet(f, name, isMap: false))
        }
        return cmds
    }

    /// The candidates that no port of the new state still contributes to a shared set.
    private func stillUnused(_ candidates: [NftElement], set: String) -> [NftElement] {
        guard !candidates.isEmpty else { return [] }
        var pending = Set(candidates.compactMap(Self.sharedAddress))
        let fam = family.ipFamily
        outer: for (_, svc) in state.services {
            for p in svc.ports where p.key.family == fam {
                if set == NftNames.clusterIPs {
                    pending.remove(p.clusterIP)
                } else {
                    for ep in p.clusterEndpoints where pending.contains(ep.ip) { pending.remove(ep.ip) }
                    for ep in p.localEndpoints where pending.contains(ep.ip) { pending.remove(ep.ip) }
                }
                if pending.isEmpty { break outer }
            }
        }
        return candidates.filter { Self.sharedAddress($0).map(pending.contains) ?? false }
    }

    /// The address a `cluster_ips` or `hairpin` element stands for.
    private static func sharedAddress(_ e: NftElement) -> IPAddress? {
        switch e.key {
        case .address(let a), .addressPair(let a, _): return a
        default: return nil
        }
    }
}
