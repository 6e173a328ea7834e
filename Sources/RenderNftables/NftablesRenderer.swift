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
/// `dnat to <frontend> . numgen random mod N map @eps`. ClientIP-affinity frontends likewise go
/// through a plain frontend set per (path, N, timeout) to one shared chain (`NftAffinityChain`),
/// their endpoints in per-position maps. There are no per-service chains, sets or maps and no
/// verdict elements, so adding a service or changing an endpoint adds only plain elements: the
/// kernel never revalidates the table for it, and updates are element deltas.
///
/// The renderer remembers the endpoint positions of affinity ports (`NftAffinityMemo`), so they
/// stay stable across renders: keep one renderer for a sequence of syncs.
public struct NftablesRenderer: ProxyRenderer {
    /// Table name in both families.
    public var table: String
    /// Endpoint positions of the affinity ports last rendered (shared by copies).
    let memo = NftAffinityMemo()
    /// How many ports use each shared address, for the state last rendered (shared by copies).
    let sharedMemo = StateFollowingMemo<NftSharedAddresses>()

    public init(table: String = "switchyard") { self.table = table }

    public func renderFull(_ state: ProxyState) -> NftOutput {
        var commands: [NftCommand] = []
        var positions: [ServicePortKey: NftAffinityPositions] = [:]
        let proxied = state.config.families.union(state.activeFamilies)
        for fam in IPFamily.allCases {
            let f = NftFamily(fam)
            // `add` first so `delete` never fails; the new table replaces the old atomically.
            commands.append(.addTable(f))
            commands.append(.deleteTable(f))
            if proxied.contains(fam) { commands += fullTable(state, family: f, positions: &positions) }
        }
        memo.replaceAll(positions)
        sharedMemo.rendered(state)
        return NftOutput(transaction: NftTransaction(table: table, commands: commands), isFull: true)
    }

    public func renderIncremental(_ diff: StateDiff, state: ProxyState) -> NftOutput {
        var commands: [NftCommand] = []
        var memoChanges: [ServicePortKey: NftAffinityPositions?] = [:]
        var uses = sharedMemo.take(following: diff, to: state)
        for fam in IPFamily.allCases {
            let f = NftFamily(fam)
            let old = diff.removed.filter { $0.key.family == fam } + diff.changed.compactMap { $0.old.key.family == fam ? $0.old : nil }
            let new = diff.added.filter { $0.key.family == fam } + diff.changed.compactMap { $0.new.key.family == fam ? $0.new : nil }
            if old.isEmpty && new.isEmpty { continue }
            // Positions before (as remembered) and after this change, of the affinity ports.
            var before: [ServicePortKey: NftAffinityPositions] = [:], after: [ServicePortKey: NftAffinityPositions] = [:]
            for p in old where p.affinityTimeout != nil {
                before[p.key] = NftAffinityMemo.positions(of: p, following: memo.get(p.key))
                memoChanges[p.key] = .some(nil)
            }
            for p in new where p.affinityTimeout != nil {
                let pos = NftAffinityMemo.positions(of: p, following: before[p.key] ?? memo.get(p.key))
                after[p.key] = pos
                memoChanges[p.key] = .some(pos)
            }
            commands += NftIncremental(family: f, state: state).commands(old: old, new: new, before: before, after: after, uses: &uses)
        }
        memo.update(memoChanges)
        sharedMemo.keep(uses, for: state)
        return NftOutput(transaction: NftTransaction(table: table, commands: commands), isFull: false)
    }

    /// Ports whose objects a full render builds (on every core) before merging them.
    static let portBatch = 2048

    /// The whole table of one family, after it was deleted. `positions` collects the affinity
    /// ports' endpoint positions (following the memo's).
    func fullTable(_ state: ProxyState, family f: NftFamily, positions: inout [ServicePortKey: NftAffinityPositions]) -> [NftCommand] {
        let fam = f.ipFamily
        let masq = state.clusterMasquerade(family: fam)
        let layout = NftLayout(family: f, clusterMasquerade: masq, nodePorts: state.nodePortAddresses(family: fam))
        var cmds: [NftCommand] = [.addTable(f)]
        for (s, isMap) in layout.sets { cmds.append(.addSet(f, s, isMap: isMap)) }

        var merged = NftElementMerger()
        var shared = Set<NftSharedChain>()
        var affinity = Set<NftAffinityChain>()
        let nodeAddrs = state.node.addresses.filter { $0.family == fam }
        // Endpoint positions of the affinity ports first (following the memo), so building each
        // port's objects is a pure function of the port and its positions.
        for (_, svc) in state.services {
            for p in svc.ports where p.key.family == fam && p.affinityTimeout != nil {
                positions[p.key] = NftAffinityMemo.positions(of: p, following: memo.get(p.key))
            }
        }
        // Each port's objects are a pure function of the port (and its positions): built on every
        // core, then merged here in key order (the merge keeps the first element of each key).
        // Batches of ports, so only one batch's objects are alive beside the merged elements
        // (the daemon's peak memory is its first full sync).
        let known = positions
        let ports = state.keyOrderedPorts(family: fam)
        var start = ports.startIndex
        while start < ports.endIndex {
            let end = min(start + Self.portBatch, ports.endIndex)
            let objects = ParallelMap.map(ports[start..<end], minimumChunk: 256) {
                NftPortObjects($0, family: f, clusterMasquerade: masq, nodeAddresses: nodeAddrs, positions: known[$0.key])
            }
            merged.merge(all: objects)
            for o in objects {
                shared.formUnion(o.sharedChains)
                affinity.formUnion(o.affinityChains)
            }
            start = end
        }
        let affInUse = affinity.sorted()
        for (s, isMap) in NftAffinityChain.declarations(affInUse, family: f) { cmds.append(.addSet(f, s, isMap: isMap)) }
        for c in affInUse { cmds.append(.addSet(f, NftAffinityChain.frontendSetDeclaration(c, family: f), isMap: false)) }
        // Shared chains, their endpoint maps, frontend sets and dispatch rules only for the
        // (path, count) pairs in use: each dispatch rule is one lookup per new connection.
        let inUse = shared.sorted()
        for s in NftSharedChain.endpointMaps(inUse, family: f) { cmds.append(.addSet(f, s, isMap: true)) }
        for c in inUse { cmds.append(.addSet(f, NftLayout.frontendSet(c, family: f), isMap: false)) }
        var chains = layout.chains.map { chain, rules in
            (chain, rules + inUse.filter { $0.path.dispatchChain == chain.name }.map { NftRules.dispatch($0, family: f) }
                + affInUse.filter { $0.dispatchChain == chain.name }.map { $0.dispatchRule(family: f) })
        }
        chains += inUse.map { (NftChain($0.name), NftRules.shared($0, family: f, clusterMasquerade: masq)) }
        chains += affInUse.map { (NftChain($0.name), $0.rules(family: f, clusterMasquerade: masq)) }
        for (c, _) in chains { cmds.append(.addChain(f, c)) }
        for (c, rules) in chains { for r in rules { cmds.append(.addRule(f, chain: c.name, r)) } }
        for (set, els) in layout.configElements(podCIDRs: NftElementMerger.outermost(state.podCIDRs(family: fam))) {
            cmds.append(.addElements(f, set: set, els))
        }
        for (set, els) in merged.sorted where !els.isEmpty { cmds.append(.addElements(f, set: set, els)) }
        return cmds
    }
}
