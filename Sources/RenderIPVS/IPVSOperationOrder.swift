import SwitchyardCore

/// The deterministic order of `IPVSPlan.operations(from:to:)`: by phase (`IPVSOperation.phase`),
/// then within a phase by a typed key compared word by word.
///
/// The order is the one of the former text keys (an address as family then 128 bits, a port as
/// four hex digits, a set member after its set's name and `|`), computed without building a
/// string per operation: each key is a few integers, and a set name is replaced by its rank
/// among the names present, sorted the way the text keys sorted them.
enum IPVSOperationOrder {
    /// `ops` in safe, deterministic order.
    static func sorted(_ ops: [IPVSOperation]) -> [IPVSOperation] {
        let ranks = NameRanks(ops)
        // Sorts (phase, key, position) and then gathers: the operations themselves are not moved.
        var keyed: [(phase: Int, key: Key, index: Int)] = []
        keyed.reserveCapacity(ops.count)
        for (i, op) in ops.enumerated() { keyed.append((op.phase, key(op, ranks), i)) }
        keyed.sort { a, b in
            if a.phase != b.phase { return a.phase < b.phase }
            if a.key < b.key { return true }
            if b.key < a.key { return false }
            return a.index < b.index
        }
        return keyed.map { ops[$0.index] }
    }

    /// Up to eight words compared in order (unused words are zero).
    struct Key: Comparable {
        var w: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)

        static func == (a: Key, b: Key) -> Bool {
            a.w.0 == b.w.0 && a.w.1 == b.w.1 && a.w.2 == b.w.2 && a.w.3 == b.w.3
                && a.w.4 == b.w.4 && a.w.5 == b.w.5 && a.w.6 == b.w.6 && a.w.7 == b.w.7
        }

        static func < (a: Key, b: Key) -> Bool {
            if a.w.0 != b.w.0 { return a.w.0 < b.w.0 }
            if a.w.1 != b.w.1 { return a.w.1 < b.w.1 }
            if a.w.2 != b.w.2 { return a.w.2 < b.w.2 }
            if a.w.3 != b.w.3 { return a.w.3 < b.w.3 }
            if a.w.4 != b.w.4 { return a.w.4 < b.w.4 }
            if a.w.5 != b.w.5 { return a.w.5 < b.w.5 }
            if a.w.6 != b.w.6 { return a.w.6 < b.w.6 }
            return a.w.7 < b.w.7
        }
    }

    /// Ranks of the set names the operations mention: member operations order by `name + "|"`
    /// (so `X|…` sorts after `X6…`), set creation and destruction by the name alone.
    struct NameRanks {
        var member: [String: UInt64] = [:]
        var plain: [String: UInt64] = [:]

        init(_ ops: [IPVSOperation]) {
            var memberNames = Set<String>(), plainNames = Set<String>()
            for op in ops {
                switch op {
                case .addSetMember(let n, _), .deleteSetMember(let n, _): memberNames.insert(n)
                case .createSet(let s): plainNames.insert(s.name)
                case .destroySet(let n): plainNames.insert(n)
                default: break
                }
            }
            for (i, n) in memberNames.sorted(by: { $0 + "|" < $1 + "|" }).enumerated() { member[n] = UInt64(i) }
            for (i, n) in plainNames.sorted().enumerated() { plain[n] = UInt64(i) }
        }
    }

    static func family(_ f: IPFamily) -> UInt64 { f == .ipv4 ? 0 : 1 }

    static func key(_ op: IPVSOperation, _ ranks: NameRanks) -> Key {
        var k = Key()
        switch op {
        case .addService(let s), .updateService(let s):
            service(s.key, into: &k, destinationFamily: 0)
        case .addDestination(let sk, let d), .updateDestination(let sk, let d, _):
            destination(sk, d.key, into: &k)
        case .deleteDestination(let sk, let d):
            destination(sk, d, into: &k)
        case .deleteService(let sk):
            service(sk, into: &k, destinationFamily: 0)
        case .addAddress(let a), .deleteAddress(let a):
            k.w.0 = family(a.family); k.w.1 = a.high; k.w.2 = a.low
        case .createSet(let s):
            k.w.0 = ranks.plain[s.name] ?? 0
        case .destroySet(let n):
            k.w.0 = ranks.plain[n] ?? 0
        case .addSetMember(let n, let m), .deleteSetMember(let n, let m):
            member(m, rank: ranks.member[n] ?? 0, into: &k)
        case .restoreIptables(let r):
            k.w.0 = family(r.family)
        case .removeIptables(let f):
            k.w.0 = family(f)
        }
        return k
    }

    /// Words 0–3: inet keys (`a` + address + port + protocol) before fwmark keys (`f` + family +
    /// mark). The destination's family rides in word 3's low byte.
    static func service(_ sk: IPVSServiceKey, into k: inout Key, destinationFamily: UInt64) {
        switch sk {
        case let .inet(p, a, port):
            k.w.0 = family(a.family); k.w.1 = a.high; k.w.2 = a.low
            k.w.3 = UInt64(port) << 16 | UInt64(p.number) << 8 | destinationFamily
        case let .fwmark(f, m):
            k.w.0 = 1 << 8 | family(f); k.w.1 = UInt64(m)
            k.w.3 = destinationFamily
        }
    }

    static func destination(_ sk: IPVSServiceKey, _ d: IPVSDestinationKey, into k: inout Key) {
        service(sk, into: &k, destinationFamily: family(d.address.family))
        k.w.4 = d.address.high; k.w.5 = d.address.low; k.w.6 = UInt64(d.port)
    }

    /// Word 0: the set's rank, then the member's first address family. Members of one set all
    /// have the same shape (the set's type).
    static func member(_ m: IPSetMember, rank: UInt64, into k: inout Key) {
        let r = rank << 16
        switch m {
        case .ip(let a):
            k.w.0 = r | family(a.family); k.w.1 = a.high; k.w.2 = a.low
        case .port(let p):
            k.w.0 = r | 1 << 8; k.w.1 = UInt64(p)
        case let .ipPort(a, pr, p):
            k.w.0 = r | family(a.family); k.w.1 = a.high; k.w.2 = a.low
            k.w.3 = UInt64(p) << 16 | UInt64(pr.number) << 8
        case let .ipPortIP(a, pr, p, b):
            k.w.0 = r | family(a.family); k.w.1 = a.high; k.w.2 = a.low
            k.w.3 = UInt64(p) << 16 | UInt64(pr.number) << 8 | family(b.family)
            k.w.4 = b.high; k.w.5 = b.low
        case let .ipPortNet(a, pr, p, n):
            k.w.0 = r | family(a.family); k.w.1 = a.high; k.w.2 = a.low
            k.w.3 = UInt64(p) << 16 | UInt64(pr.number) << 8 | family(n.address.family)
            k.w.4 = n.address.high; k.w.5 = n.address.low; k.w.6 = UInt64(n.prefixLength)
        }
    }
}
