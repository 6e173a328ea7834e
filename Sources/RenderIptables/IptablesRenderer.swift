import Diff
import Model
import Render
import SwitchyardCore

/// Renders `ProxyState` as `iptables-restore --noflush` input (nat + filter) and `ipset restore`
/// input, per family.
///
/// Shape (per service port, chosen to keep chains and rules per endpoint minimal):
/// - no per-endpoint chains: the service chain DNATs straight to each endpoint, picked with
///   `-m statistic --mode random`; ClientIP affinity adds `-m recent` in the same rules;
/// - hairpin masquerade through one `hash:ip,port,ip` ipset per family checked in POSTROUTING;
/// - REJECT / DROP for services without (local) endpoints in the filter table;
/// - one dispatch rule per service IP, changed on partial syncs with `-D` / `-A` only.
///
/// Application order per family: `ipsetRestore`, then `restore` with `--noflush`.
public struct IptablesRenderer: ProxyRenderer {
    public var options: IptablesOptions
    /// How many ports use each hairpin member, for the state last rendered (shared by copies).
    let hairpinMemo = StateFollowingMemo<HairpinUses>()

    public init(options: IptablesOptions = IptablesOptions()) { self.options = options }

    /// Full render without knowledge of the kernel: no jump rules and no stale-chain cleanup.
    /// Appliers should call `renderFull(_:saved:)`.
    public func renderFull(_ state: ProxyState) -> IptablesOutput { renderFull(state, saved: [:]) }

    /// Full render. `saved` holds, per family, the current `iptables-save` / `ip6tables-save`
    /// text (nat and filter): missing jump rules are inserted and `SWITCHYARD-` chains that are
    /// no longer rendered are deleted. Families absent from `saved` get neither.
    public func renderFull(_ state: ProxyState, saved: [IPFamily: String]) -> IptablesOutput {
        defer { hairpinMemo.rendered(state) }
        let comments = Self.endpointCount(state, upTo: options.commentEndpointLimit + 1) <= options.commentEndpointLimit
        let families = state.config.families.sorted()
        // The ports in key order, once for every family: sorting the services is sequential.
        let ports = state.keyOrderedPorts(families: Set(families))
        // Each port's family and endpoint count, read once (every read of a port copies it).
        let shapes = ParallelMap.map(ports, minimumChunk: 1024) { PortTextChunk.Shape($0) }
        return IptablesOutput(isFull: true, families: families.map { fam in
            let indices = families.count == 1 ? Array(shapes.indices) : shapes.indices.filter { shapes[$0].family == fam }
            return renderFamilyFull(state, family: fam, ports: ports, indices: indices, shapes: shapes, comments: comments, saved: saved[fam])
        })
    }

    /// Partial render: only the changed ports' chains, deletions of removed ones, and `-D`/`-A`
    /// deltas of the dispatch chains. Falls back to a full render when `diff.requiresFullSync`
    /// or when crossing the comment threshold changes every rule's text.
    public func renderIncremental(_ diff: StateDiff, state: ProxyState) -> IptablesOutput {
        var delta = 0 // old count − new count
        for p in diff.added { delta -= Self.endpointCount(p) }
        for p in diff.removed { delta += Self.endpointCount(p) }
        for c in diff.changed { delta += Self.endpointCount(c.old) - Self.endpointCount(c.new) }
        // Counting stops past limit + |delta|: both sides are then above the limit.
        let newCount = Self.endpointCount(state, upTo: options.commentEndpointLimit + abs(delta) + 1)
        let oldCount = newCount + delta
        let comments = newCount <= options.commentEndpointLimit
        if diff.requiresFullSync || comments != (oldCount <= options.commentEndpointLimit) {
            return renderFull(state)
        }
        var out: [IptablesFamilyOutput] = []
        var uses = hairpinMemo.take(following: diff, to: state)
        defer { hairpinMemo.keep(uses, for: state) }
        for fam in IPFamily.allCases {
            var pairs: [(old: ServicePort?, new: ServicePort?)] = []
            for p in diff.added where p.key.family == fam { pairs.append((nil, p)) }
            for p in diff.removed where p.key.family == fam { pairs.append((p, nil)) }
            for c in diff.changed where c.new.key.family == fam { pairs.append((c.old, c.new)) }
            guard !pairs.isEmpty else { continue }
            let ctx = IptablesContext(state: state, family: fam, options: options, comments: comments)
            let f = renderFamilyDelta(pairs, ctx: ctx, state: state, uses: &uses)
            if !f.restore.isEmpty || !f.ipsetRestore.isEmpty { out.append(f) }
        }
        return IptablesOutput(isFull: false, families: out)
    }

    /// Endpoints counted for the comment threshold: per port the larger of its cluster and local
    /// lists (local endpoints are normally a subset), summed without sorting anything.
    static func endpointCount(_ p: ServicePort) -> Int { max(p.clusterEndpoints.count, p.localEndpoints.count) }


    // MARK: full

    /// A full sync as several transactions in one restore run: helper chains first, then the
    /// per-port chains in transactions of about `options.fullSyncTransactionRules` rules (each
    /// chain replaced atomically; nothing references new chains yet), then one final
    /// transaction that rewrites the entry and dispatch chains, deletes stale chains and adds
    /// missing jumps. nf_tables-based `iptables-restore --noflush` slows down superlinearly with
    /// the size of one transaction; splitting keeps the first sync near a plain restore.
    /// `ports`: the state's ports in key order, `ports[indices]` those of `family`; `shapes` their
    /// shapes (by index into `ports`).
    func renderFamilyFull(_ state: ProxyState, family: IPFamily, ports: KeyOrderedPorts, indices: [Int], shapes: [PortTextChunk.Shape],
                          comments: Bool, saved: String?) -> IptablesFamilyOutput {
        let ctx = IptablesContext(state: state, family: family, options: options, comments: comments)
        var b = IptablesRestoreBuilder()
        // The chains rendered, per table: needed only to find stale chains in `saved`.
        var rendered: [String: Set<String>] = ["nat": [], "filter": []]
        let tracksChains = saved != nil
        func declare(_ chain: String, _ table: String) {
            b.declareChain(chain, table: table)
            if tracksChains { rendered[table]!.insert(chain) }
        }
        for (chain, table) in renderHelperChains(ctx, into: &b) where tracksChains { rendered[table]!.insert(chain) }

        // Each port's rules, as finished lines, are a pure function of the port and the
        // context: write them on every core, a run of ports per chunk, then hand the chunks'
        // bytes to the builder in key order.
        let chunkCount = max(1, min(indices.count / 128, 16 * ParallelMap.workers()))
        let bounds = (0...chunkCount).map { indices.count * $0 / chunkCount }
        let chunks = ParallelMap.map(Array(0..<chunkCount), minimumChunk: 1) { c in
            PortTextChunk(ports, indices[bounds[c]..<bounds[c + 1]], shapes: shapes, ctx, keepNames: tracksChains)
        }
        var pending = 0, hairpinCount = 0
        for c in chunks.indices {
            // Ports [from, i] of the chunk go into the current transaction.
            var from = 0
            for i in chunks[c].ends.indices {
                pending += chunks[c].ends[i].chainRuleCount - (i == 0 ? 0 : chunks[c].ends[i - 1].chainRuleCount)
                guard pending >= options.fullSyncTransactionRules else { continue }
                Self.addChainLines(of: chunks[c], ports: from..<(i + 1), to: &b)
                b.commit(); pending = 0
                from = i + 1
            }
            Self.addChainLines(of: chunks[c], ports: from..<chunks[c].ends.count, to: &b)
            if tracksChains { rendered["nat"]!.formUnion(chunks[c].chainNames) }
            hairpinCount += chunks[c].hairpin.count
        }
        b.commit()
        for c in [IptablesNames.natServices, IptablesNames.natDispatch, IptablesNames.natNodePorts] { declare(c, "nat") }
        declare(IptablesNames.filterServices, "filter")
        declare(IptablesNames.filterClusterIPs, "filter")
        renderEntryChain(ctx, into: &b)
        for (section, table) in [(PortRuleSection.dispatch, "nat"), (.nodePorts, "nat"), (.filter, "filter"), (.clusterIPs, "filter")] {
            for c in chunks.indices {
                let (text, count) = chunks[c].lines(section)
                b.addRendered(table: table, declarations: .bytes([]), declarationCount: 0, commands: .bytes(text.bytes[...]), commandCount: count)
            }
        }
        var members: [HairpinMember] = []
        members.reserveCapacity(hairpinCount)
        for c in chunks.indices { members += chunks[c].hairpin }
        let hairpin = HairpinSet.sortedUnique(members)
        if let saved {
            for (table, chains) in IptablesJumps.ownedChains(in: saved) where rendered[table] != nil {
                for c in chains.subtracting(rendered[table]!).sorted() { b.deleteChain(c, table: table) }
            }
            IptablesJumps.add(IptablesJumps.missing(from: saved), to: &b)
        }
        return IptablesFamilyOutput(family: family, ipsetRestore: Self.ipsetFull(family, sortedMembers: hairpin), restore: b.text,
                                    chainsDeclared: b.declarationCount, ruleCommands: b.ruleCommandCount, ipsetChanges: hairpin.count)
    }

    /// The declarations and chain rules of `chunk`'s ports `ports` (indices into the chunk).
    static func addChainLines(of chunk: PortTextChunk, ports: Range<Int>, to b: inout IptablesRestoreBuilder) {
        guard !ports.isEmpty else { return }
        let first = ports.lowerBound == 0 ? nil : chunk.ends[ports.lowerBound - 1]
        let last = chunk.ends[ports.upperBound - 1]
        let declarations = (first?.declarations ?? 0)..<last.declarations
        let rules = (first?.chainRules ?? 0)..<last.chainRules
        b.addRendered(table: "nat", declarations: .bytes(chunk.declarations.bytes[declarations]),
                      declarationCount: last.chainCount - (first?.chainCount ?? 0),
                      commands: .bytes(chunk.chainRules.bytes[rules]), commandCount: last.chainRuleCount - (first?.chainRuleCount ?? 0))
    }

    /// nat SWITCHYARD-SERVICES: the dispatch chain, then node ports (always last).
    func renderEntryChain(_ ctx: IptablesContext, into b: inout IptablesRestoreBuilder) {
        b.append(IptablesNames.natServices, "-j \(IptablesNames.natDispatch)", table: "nat")
        switch ctx.nodePorts {
        case .allLocal:
            let loopback = ctx.family == .ipv4 ? "127.0.0.0/8" : "::1/128"
            b.append(IptablesNames.natServices, "! -d \(loopback) -m addrtype --dst-type LOCAL -j \(IptablesNames.natNodePorts)", table: "nat")
        case .addresses(let ips):
            for ip in ips { b.append(IptablesNames.natServices, "-d \(IptablesFormat.host(ip)) -j \(IptablesNames.natNodePorts)", table: "nat") }
        }
    }

    /// Postrouting, non-pod masquerade and forward chains: rewritten only by full syncs.
    /// Returns the chains declared, with their tables.
    func renderHelperChains(_ ctx: IptablesContext, into b: inout IptablesRestoreBuilder) -> [(String, String)] {
        var declared: [(String, String)] = []
        func declare(_ c: String, _ t: String) { b.declareChain(c, table: t); declared.append((c, t)) }
        let m = IptablesFormat.hex(ctx.mark)
        let post = IptablesNames.natPostrouting
        declare(post, "nat")
        b.append(post, "-m conntrack --ctstate DNAT -m set --match-set \(IptablesNames.hairpinSet(ctx.family)) dst,dst,src "
            + "-m comment --comment \"hairpin\" -j MARK --or-mark \(m)", table: "nat")
        b.append(post, "-m mark ! --mark \(m)/\(m) -j RETURN", table: "nat")
        b.append(post, "-j MARK --xor-mark \(m)", table: "nat")
        b.append(post, "-m comment --comment \"switchyard service traffic requiring SNAT\" -j MASQUERADE --random-fully", table: "nat")
        if case .sourcesOutside(let cidrs) = ctx.clusterMasquerade, cidrs.count > 1 {
            declare(IptablesNames.natMasqNonPod, "nat")
            for c in cidrs { b.append(IptablesNames.natMasqNonPod, "-s \(c) -j RETURN", table: "nat") }
            b.append(IptablesNames.natMasqNonPod, ctx.markMasq, table: "nat")
        }
        declare(IptablesNames.filterForward, "filter")
        b.append(IptablesNames.filterForward, "-m mark --mark \(m)/\(m) -m comment --comment \"switchyard masqueraded traffic\" -j ACCEPT", table: "filter")
        b.append(IptablesNames.filterForward, "-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT", table: "filter")
        return declared
    }

    // MARK: partial

    /// `uses`: how many ports of `state` DNAT to each hairpin member, derived from `state` here when
    /// nil and a member is a candidate for deletion.
    func renderFamilyDelta(_ pairs: [(old: ServicePort?, new: ServicePort?)], ctx: IptablesContext, state: ProxyState,
                           uses: inout HairpinUses?) -> IptablesFamilyOutput {
        var b = IptablesRestoreBuilder()
        var addMembers = Set<HairpinMember>(), delCandidates = Set<HairpinMember>()
        for (old, new) in pairs {
            let o = old.map { PortRules($0, ctx) } ?? PortRules()
            let n = new.map { PortRules($0, ctx) } ?? PortRules()
            guard o != n else { continue }
            var oldChains: [String: [String]] = [:]
            for c in o.chains { oldChains[c.name] = c.rules }
            let newNames = Set(n.chains.map(\.name))
            for c in n.chains where oldChains[c.name] != c.rules {
                b.declareChain(c.name, table: "nat")
                for rule in c.rules { b.append(c.name, rule, table: "nat") }
            }
            for c in o.chains where !newNames.contains(c.name) { b.deleteChain(c.name, table: "nat") }
            Self.delta(IptablesNames.natDispatch, o.dispatch, n.dispatch, "nat", &b)
            Self.delta(IptablesNames.natNodePorts, o.nodePorts, n.nodePorts, "nat", &b)
            Self.delta(IptablesNames.filterServices, o.filter, n.filter, "filter", &b)
            Self.delta(IptablesNames.filterClusterIPs, o.clusterIPReject, n.clusterIPReject, "filter", &b)
            addMembers.formUnion(n.hairpin.subtracting(o.hairpin))
            delCandidates.formUnion(o.hairpin.subtracting(n.hairpin))
        }
        // A member removed from one port stays if another port still DNATs to it.
        if !delCandidates.isEmpty {
            if uses == nil { uses = HairpinUses(state) }
            delCandidates = delCandidates.filter { !uses!.isUsed($0) }
        }
        let set = IptablesNames.hairpinSet(ctx.family)
        var ipset = ""
        for m in delCandidates.sorted() { ipset += "del \(set) \(m.text) -exist\n" }
        for m in addMembers.sorted() { ipset += "add \(set) \(m.text) -exist\n" }
        return IptablesFamilyOutput(family: ctx.family, ipsetRestore: ipset, restore: b.isEmpty ? "" : b.text,
                                    chainsDeclared: b.declarationCount, ruleCommands: b.ruleCommandCount,
                                    ipsetChanges: delCandidates.count + addMembers.count)
    }

    /// `endpointCount(_:)` summed over every port, counting no further than `cap`.
    static func endpointCount(_ state: ProxyState, upTo cap: Int) -> Int {
        var n = 0
        for (_, svc) in state.services {
            for p in svc.ports {
                n += endpointCount(p)
                if n >= cap { return n }
            }
        }
        return n
    }

    /// `-D` the rules only in `old`, `-A` the rules only in `new` (in `new`'s order).
    static func delta(_ chain: String, _ old: [String], _ new: [String], _ table: String, _ b: inout IptablesRestoreBuilder) {
        guard old != new else { return }
        let o = Set(old), n = Set(new)
        for r in old where !n.contains(r) { b.delete(chain, r, table: table) }
        for r in new where !o.contains(r) { b.append(chain, r, table: table) }
    }

    // MARK: ipset

    static let ipsetOptions = "hashsize 1024 maxelem 1048576"

    /// Creates the set if needed and replaces its members atomically (fill a temporary set, swap).
    static func ipsetFull(_ family: IPFamily, members: Set<HairpinMember>) -> String {
        ipsetFull(family, sortedMembers: members.sorted())
    }

    /// `ipsetFull(_:members:)` from members already sorted and unique.
    static func ipsetFull(_ family: IPFamily, sortedMembers members: [HairpinMember]) -> String {
        let set = IptablesNames.hairpinSet(family), tmp = set + "-T"
        let fam = family == .ipv4 ? "inet" : "inet6"
        var out = "create \(set) hash:ip,port,ip family \(fam) \(ipsetOptions) -exist\n"
        out += "create \(tmp) hash:ip,port,ip family \(fam) \(ipsetOptions) -exist\n"
        out += "flush \(tmp)\n"
        out += HairpinSet.addLines(tmp, members)
        out += "swap \(tmp) \(set)\ndestroy \(tmp)\n"
        return out
    }
}
