import Model
import SwitchyardCore

/// Renders the element and chain deltas for the ports of one family that changed.
struct NftIncremental {
    let family: NftFamily
    let state: ProxyState

    /// Elements that several ports may share; deleted only when no port of `state` still uses them.
    private static let sharedSets: Set<String> = [NftNames.hairpin, NftNames.clusterIPs]

    /// `before`/`after`: the endpoint positions of the old and new affinity ports.
    /// `uses`: how many ports of `state` use each shared address, counted from `state` here when
    /// nil and an element of a shared set is a candidate for deletion.
    func commands(old: [ServicePort], new: [ServicePort],
                  before beforePositions: [ServicePortKey: NftAffinityPositions] = [:],
                  after afterPositions: [ServicePortKey: NftAffinityPositions] = [:],
                  uses: inout NftSharedAddresses?) -> [NftCommand] {
        let f = family
        let masq = state.clusterMasquerade(family: f.ipFamily)
        let nodeAddrs = state.node.addresses.filter { $0.family == f.ipFamily }
        let before = old.map { NftPortObjects($0, family: f, clusterMasquerade: masq, nodeAddresses: nodeAddrs, positions: beforePositions[$0.key]) }
        let after = new.map { NftPortObjects($0, family: f, clusterMasquerade: masq, nodeAddresses: nodeAddrs, positions: afterPositions[$0.key]) }

        var cmds: [NftCommand] = []
        // 1. Shared affinity chains (path, count, timeout) the old ports did not use, with their
        // recent-client sets, position maps, frontend set and dispatch rule. Usually they exist
        // already (the applier drops what its record holds: `NftTransaction.droppingExisting`),
        // and an affinity change is element deltas only. Recent-client sets and position maps are
        // only ever added here (`add` keeps an existing one); a full sync deletes unused ones.
        let oldAff = before.reduce(into: Set<NftAffinityChain>()) { $0.formUnion($1.affinityChains) }
        let newAff = after.reduce(into: Set<NftAffinityChain>()) { $0.formUnion($1.affinityChains) }.subtracting(oldAff).sorted()
        for (s, isMap) in NftAffinityChain.declarations(newAff, family: f) { cmds.append(.addSet(f, s, isMap: isMap)) }
        for c in newAff {
            cmds.append(.addSet(f, NftAffinityChain.frontendSetDeclaration(c, family: f), isMap: false))
            cmds.append(.addChain(f, NftChain(c.name)))
            for r in c.rules(family: f, clusterMasquerade: masq) { cmds.append(.addRule(f, chain: c.name, r)) }
            cmds.append(.addRule(f, chain: c.dispatchChain, c.dispatchRule(family: f)))
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
            if Self.sharedSets.contains(set), !gone.isEmpty {
                if uses == nil { uses = NftSharedAddresses(state) }
                gone = Self.stillUnused(gone, set: set, uses: uses!)
            }
            let added = n.filter { !oSet.contains($0) }
            if !gone.isEmpty { cmds.append(.deleteElements(f, set: set, gone)) }
            if !added.isEmpty { adds.append(.addElements(f, set: set, added)) }
        }
        cmds += adds
        return cmds
    }

    /// The candidates that no port of the new state still contributes to a shared set.
    private static func stillUnused(_ candidates: [NftElement], set: String, uses: NftSharedAddresses) -> [NftElement] {
        let clusterIPs = set == NftNames.clusterIPs
        return candidates.filter { e in
            guard let a = sharedAddress(e) else { return false }
            return clusterIPs ? !uses.usesClusterIP(a) : !uses.usesEndpoint(a)
        }
    }

    /// The address a `cluster_ips` or `hairpin` element stands for.
    private static func sharedAddress(_ e: NftElement) -> IPAddress? {
        switch e.key {
        case .address(let a), .addressPair(let a, _): return a
        default: return nil
        }
    }
}
