import Dispatch
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
            // Array elements mutated in place: no copy of the accumulated lists per port.
            Self.merge(new, into: &lists[i], seen: &seen[groupOf[i]])
        }
    }

    /// `merge(_:)` of every port's elements, in order (a full render). The set names are
    /// resolved here; then the dispatch groups, which share nothing, are merged in lanes on
    /// every core, each lane walking all ports for its own groups' sets.
    mutating func merge(all objects: [NftPortObjects]) {
        var slots: [Int] = []
        var groupSizes: [Int] = []
        for p in objects.indices {
            for j in objects[p].elements.indices {
                let i = slot(objects[p].elements[j].set)
                slots.append(i)
                if groupOf[i] >= groupSizes.count { groupSizes += repeatElement(0, count: groupOf[i] + 1 - groupSizes.count) }
                groupSizes[groupOf[i]] += objects[p].elements[j].elements.count
            }
        }
        // Largest groups first, each to the lane with the least work so far.
        let laneCount = max(1, min(2 * ParallelMap.workers(), groupSizes.count))
        var laneOf = [Int](repeating: 0, count: groupSizes.count), load = [Int](repeating: 0, count: laneCount)
        for g in groupSizes.indices.sorted(by: { groupSizes[$0] > groupSizes[$1] }) {
            let lane = load.indices.min { load[$0] < load[$1] }!
            laneOf[g] = lane; load[lane] += groupSizes[g]
        }
        let groupOf = self.groupOf, slotOf = slots, lanes = laneOf
        lists.withUnsafeMutableBufferPointer { listBuffer in
            seen.withUnsafeMutableBufferPointer { seenBuffer in
                objects.withUnsafeBufferPointer { objectBuffer in
                    nonisolated(unsafe) let lists = listBuffer, seen = seenBuffer, ports = objectBuffer
                    DispatchQueue.concurrentPerform(iterations: laneCount) { lane in
                        var k = 0
                        // Indices only: an entry of another lane is never copied (no retains
                        // of shared objects from several threads).
                        for p in ports.indices {
                            for j in ports[p].elements.indices {
                                let i = slotOf[k], g = groupOf[i]
                                k += 1
                                // Lanes own disjoint groups, hence disjoint lists and key sets.
                                if lanes[g] == lane { Self.merge(ports[p].elements[j].elements, into: &lists[i], seen: &seen[g]) }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Appends the elements of `new` whose keys `seen` does not hold yet.
    private static func merge(_ new: [NftElement], into list: inout [NftElement], seen: inout NftKeySet) {
        // An endpoint map's slots come in whole runs `F . 0` … `F . N-1` (`NftPortObjects`
        // adds a frontend's N slots at once; N is the map's count), so slot `F . k` is new
        // exactly when `F . 0` was: only a run's first slot is looked up, the rest follow it.
        var run: (frontend: NftFrontend, index: UInt32, isNew: Bool)? = nil
        for e in new {
            let isNew: Bool
            if case .slot(let f, let k) = e.key {
                if k > 0, let r = run, r.index &+ 1 == k, r.frontend == f {
                    isNew = r.isNew
                } else {
                    isNew = seen.insert(e.key)
                }
                run = (f, k, isNew)
            } else {
                isNew = seen.insert(e.key)
            }
            if isNew { list.append(e) }
        }
    }

    private mutating func slot(_ set: String) -> Int {
        if let i = index[set] { return i }
        let group = NftPath.dispatchGroup(frontendSet: set) ?? set
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
