import RenderNftables

/// The applier's in-memory record of what it committed: per family, our table's sets and maps
/// with their element counts, and its chains. Updated only after the kernel accepted a transaction,
/// so after a failure it still describes the rules that are serving.
public struct NftRecord: Hashable, Sendable {
    /// One family's table.
    public struct Table: Hashable, Sendable {
        /// Set or map name → number of elements committed.
        public var elements: [String: Int] = [:]
        /// Names of interval sets (their kernel element count is not one per element) and dynamic
        /// sets (the kernel adds their elements: the affinity recent-client sets); the drift check
        /// skips them.
        public var intervalSets: Set<String> = []
        /// Chain names.
        public var chains: Set<String> = []
        public init() {}
    }

    /// Tables we own, by family.
    public var tables: [NftFamily: Table] = [:]

    public init() {}

    /// The record after `transaction` committed on top of this one.
    public func applying(_ transaction: NftTransaction) -> NftRecord {
        var r = self
        for c in transaction.commands { r.apply(c) }
        return r
    }

    /// This record without the per-count objects a delta emptied: frontend sets (`cip_3`,
    /// `cipaff_3_10800`) and endpoint maps (`cip_eps_3`) that hold no element, the shared chains
    /// (`cip-3`) whose endpoint map is gone, affinity chains whose frontend set is gone, and
    /// affinity position maps and recent-client sets above the largest affinity count left. They
    /// stay in the kernel until the next full sync; compare with this.
    public var withoutEmptyFrontendSets: NftRecord {
        var r = self
        for (f, t) in tables {
            for (name, n) in t.elements where n == 0
                && (NftSharedChain(frontendSet: name) != nil || NftSharedChain(endpointMap: name) != nil
                    || NftAffinityChain(frontendSet: name) != nil) {
                r.tables[f]!.elements[name] = nil
            }
            var maxByPath: [NftPath: Int] = [:], maxByKind: [Bool: Int] = [:]
            for ch in t.chains {
                if let c = NftSharedChain(chain: ch), r.tables[f]!.elements[c.endpointMap] == nil { r.tables[f]!.chains.remove(ch) }
                if let c = NftAffinityChain(chain: ch) {
                    if r.tables[f]!.elements[c.setName] == nil { r.tables[f]!.chains.remove(ch); continue }
                    maxByPath[c.path] = max(maxByPath[c.path] ?? 0, c.count)
                    maxByKind[c.isNodePort] = max(maxByKind[c.isNodePort] ?? 0, c.count)
                }
            }
            for name in t.elements.keys {
                if let m = NftAffinityChain.positionMap(parsing: name), m.position >= maxByPath[m.path] ?? 0 { r.tables[f]!.elements[name] = nil }
                if let s = NftAffinityChain.recentSet(parsing: name), s.position >= maxByKind[s.nodePort] ?? 0 {
                    r.tables[f]!.elements[name] = nil; r.tables[f]!.intervalSets.remove(name)
                }
            }
        }
        return r
    }

    /// Total elements over all families.
    public var elementCount: Int { tables.values.reduce(0) { $0 + $1.elements.values.reduce(0, +) } }

    private mutating func apply(_ c: NftCommand) {
        switch c {
        case .addTable(let f): if tables[f] == nil { tables[f] = Table() }
        case .deleteTable(let f): tables[f] = nil
        case .addChain(let f, let ch): tables[f, default: Table()].chains.insert(ch.name)
        case .flushChain: break
        case .deleteChain(let f, let n): tables[f]?.chains.remove(n)
        case .addSet(let f, let s, _):
            if tables[f, default: Table()].elements[s.name] == nil { tables[f]!.elements[s.name] = 0 }
            if s.flags.contains("interval") || s.flags.contains("dynamic") { tables[f]!.intervalSets.insert(s.name) }
        case .deleteSet(let f, let n, _): tables[f]?.elements[n] = nil; tables[f]?.intervalSets.remove(n)
        case .flushSet(let f, let n, _): if tables[f]?.elements[n] != nil { tables[f]!.elements[n] = 0 }
        case .addRule: break
        case .addElements(let f, let set, let els): tables[f, default: Table()].elements[set, default: 0] += els.count
        case .deleteElements(let f, let set, let els): tables[f, default: Table()].elements[set, default: 0] -= els.count
        }
    }
}
