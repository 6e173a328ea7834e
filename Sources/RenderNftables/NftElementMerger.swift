import SwitchyardCore

/// Collects elements per set, keeping the first element of each key (a later duplicate frontend loses).
struct NftElementMerger {
    /// Set name → index into `lists` / `groupOf`; each name is looked up once per port.
    private var index: [String: Int] = [:]
    private var names: [String] = []
    private var lists: [[NftElement]] = []
    /// Dispatch group of each set (index into `seen`): a frontend lives in one set of its group
    /// (the verdict map or a count set).
    private var groupOf: [Int] = []
    private var groupIndex: [String: Int] = [:]
    private var seen: [NftKeySet] = []

    mutating func merge(_ elements: [(set: String, elements: [NftElement])]) {
        for (set, new) in elements {
            let i = slot(set)
            let g = groupOf[i]
            // An endpoint map's slots come in whole runs `F . 0` … `F . N-1` (`NftPortObjects`
            // adds a frontend's N slots at once; N is the map's count), so slot `F . k` is new
            // exactly when `F . 0` was: only a run's first slot is looked up, the rest follow it.
            var run: (frontend: NftFrontend, index: UInt32, isNew: Bool)? = nil
            // Array elements mutated in place: no copy of the accumulated lists per port.
            for e in new {
                let isNew: Bool
                if case .slot(let f, let k) = e.key {
                    if k > 0, let r = run, r.index &+ 1 == k, r.frontend == f {
                        isNew = r.isNew
                    } else {
                        isNew = seen[g].insert(e.key)
                    }
                    run = (f, k, isNew)
                } else {
                    isNew = seen[g].insert(e.key)
                }
                if isNew { lists[i].append(e) }
            }
        }
    }

    private mutating func slot(_ set: String) -> Int {
        if let i = index[set] { return i }
        let group = NftSharedChain(frontendSet: set)?.path.dispatchMap ?? set
        let g: Int
        if let known = groupIndex[group] { g = known } else {
            g = seen.count; seen.append(NftKeySet()); groupIndex[group] = g
        }
        let i = lists.count
        index[set] = i; names.append(set); lists.append([]); groupOf.append(g)
        return i
    }

    /// Sets in name order with their elements in insertion (port key) order.
    var sorted: [(String, [NftElement])] { names.indices.sorted { names[$0] < names[$1] }.map { (names[$0], lists[$0]) } }

    /// CIDRs not contained in another of the list (interval sets reject overlaps).
    static func outermost(_ cidrs: [CIDR]) -> [CIDR] {
        let unique = Array(Set(cidrs)).sorted()
        return unique.filter { c in !unique.contains { $0 != c && $0.prefixLength < c.prefixLength && $0.contains(c.address) } }
    }
}
