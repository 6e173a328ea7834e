import Diff
import Model
import Render
import SwitchyardCore

/// The nftables backend's pure renderer.
///
/// Shape (per family, `table ip|ip6 switchyard`): a few base chains; per traffic path and endpoint
/// count N in use ONE plain frontend set keyed `addr . proto . port` (NodePorts: `proto . port`)
/// with one dispatch rule `<frontend> @cip_N goto cip-N`; ONE endpoint map keyed
/// `frontend . index` → `addr . port`; and one tiny shared chain per (path, N) whose single rule is
/// `dnat to <frontend> . numgen random mod N map @eps`. There are no per-service chains, sets or
/// maps and no per-service verdict elements (except for ClientIP affinity ports, which use a verdict
/// map), so adding a service adds only plain elements: the kernel never revalidates the table
/// for it, and updates are element deltas.
public struct NftablesRenderer: ProxyRenderer {
    /// Table name in both families.
    public var table: String

    public init(table: String = "switchyard") { self.table = table }

    public func renderFull(_ state: ProxyState) -> NftOutput {
        var commands: [NftCommand] = []
        let proxied = state.config.families.union(state.activeFamilies)
        for fam in IPFamily.allCases {
            let f = NftFamily(fam)
            // `add` first so `delete` never fails; the new table replaces the old atomically.
            commands.append(.addTable(f))
            commands.append(.deleteTable(f))
            if proxied.contains(fam) { commands += fullTable(state, family: f) }
        }
        return NftOutput(transaction: NftTransaction(table: table, commands: commands), isFull: true)
    }

    public func renderIncremental(_ diff: StateDiff, state: ProxyState) -> NftOutput {
        var commands: [NftCommand] = []
        for fam in IPFamily.allCases {
            let f = NftFamily(fam)
            let old = diff.removed.filter { $0.key.family == fam } + diff.changed.compactMap { $0.old.key.family == fam ? $0.old : nil }
            let new = diff.added.filter { $0.key.family == fam } + diff.changed.compactMap { $0.new.key.family == fam ? $0.new : nil }
            if old.isEmpty && new.isEmpty { continue }
            commands += NftIncremental(family: f, state: state).commands(old: old, new: new)
        }
        return NftOutput(transaction: NftTransaction(table: table, commands: commands), isFull: false)
    }

    /// The whole table of one family, after it was deleted.
    func fullTable(_ state: ProxyState, family f: NftFamily) -> [NftCommand] {
        let fam = f.ipFamily
        let masq = state.clusterMasquerade(family: fam)
        let layout = NftLayout(family: f, clusterMasquerade: masq, nodePorts: state.nodePortAddresses(family: fam))
        var cmds: [NftCommand] = [.addTable(f)]
        for (s, isMap) in layout.sets { cmds.append(.addSet(f, s, isMap: isMap)) }

        var merged = NftElementMerger()
        var shared = Set<NftSharedChain>()
        var affChains: [(String, [NftRule])] = []
        var affSets: [String: NftSet] = [:]
        let nodeAddrs = state.node.addresses.filter { $0.family == fam }
        // Each port's objects are a pure function of the port: built on every core, then merged
        // here in key order (the merge keeps the first element of each key, as before).
        let objects = ParallelMap.map(state.keyOrderedPorts(family: fam), minimumChunk: 256) {
            NftPortObjects($0, family: f, clusterMasquerade: masq, nodeAddresses: nodeAddrs)
        }
        merged.merge(all: objects)
        for o in objects {
            shared.formUnion(o.sharedChains)
            affChains += o.affinityChains.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
            affSets.merge(o.affinitySets) { a, _ in a }
        }
        for (_, s) in affSets.sorted(by: { $0.key < $1.key }) { cmds.append(.addSet(f, s, isMap: false)) }
        // Shared chains, their endpoint maps, frontend sets and dispatch rules only for the
        // (path, count) pairs in use: each dispatch rule is one lookup per new connection.
        let inUse = shared.sorted()
        for s in NftSharedChain.endpointMaps(inUse, family: f) { cmds.append(.addSet(f, s, isMap: true)) }
        for c in inUse { cmds.append(.addSet(f, NftLayout.frontendSet(c, family: f), isMap: false)) }
        var chains = layout.chains.map { chain, rules in
            (chain, rules + inUse.filter { $0.path.dispatchChain == chain.name }.map { NftRules.dispatch($0, family: f) })
        }
        chains += inUse.map { (NftChain($0.name), NftRules.shared($0, family: f, clusterMasquerade: masq)) }
        chains += affChains.map { (NftChain($0.0), $0.1) }
        for (c, _) in chains { cmds.append(.addChain(f, c)) }
        for (c, rules) in chains { for r in rules { cmds.append(.addRule(f, chain: c.name, r)) } }
        for (set, els) in layout.configElements(podCIDRs: NftElementMerger.outermost(state.podCIDRs(family: fam))) {
            cmds.append(.addElements(f, set: set, els))
        }
        for (set, els) in merged.sorted where !els.isEmpty { cmds.append(.addElements(f, set: set, els)) }
        return cmds
    }
}
