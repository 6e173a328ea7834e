import Model
import SwitchyardCore

/// The hairpin ipset's members for a full render: sorted and written without a `String` per member.
enum HairpinSet {
    /// `members` sorted (`HairpinMember.<`) with repeats removed. Members of one family only.
    static func sortedUnique(_ members: [HairpinMember]) -> [HairpinMember] {
        guard members.count > 1 else { return members }
        if members.allSatisfy({ $0.ip.family == .ipv4 }) {
            // (address, protocol number, port) packed in order into one integer: the same order.
            let keys = sortedKeys(members.map { UInt64($0.ip.v4Value) << 24 | UInt64($0.proto.number) << 16 | UInt64($0.port) })
            var out: [HairpinMember] = []
            out.reserveCapacity(keys.count)
            var last: UInt64? = nil
            for k in keys where k != last {
                last = k
                out.append(HairpinMember(ip: IPAddress(v4: UInt32(truncatingIfNeeded: k >> 24)),
                                         proto: protocols[Int((k >> 16) & 0xff)]!, port: UInt16(truncatingIfNeeded: k)))
            }
            return out
        }
        let sorted = members.sorted()
        var out: [HairpinMember] = []
        out.reserveCapacity(sorted.count)
        for m in sorted where out.last != m { out.append(m) }
        return out
    }

    /// `keys` sorted; a large list in chunks on every core, then merged.
    static func sortedKeys(_ keys: [UInt64]) -> [UInt64] {
        let chunks = min(ParallelMap.workers(), keys.count / 8_192)
        guard chunks >= 2 else { return keys.sorted() }
        let bounds = (0...chunks).map { keys.count * $0 / chunks }
        let runs = ParallelMap.map(Array(0..<chunks), minimumChunk: 1) { c in keys[bounds[c]..<bounds[c + 1]].sorted() }
        var heads = [Int](repeating: 0, count: chunks)
        var out: [UInt64] = []
        out.reserveCapacity(keys.count)
        while true {
            var best = -1
            for r in runs.indices where heads[r] < runs[r].count {
                if best < 0 || runs[r][heads[r]] < runs[best][heads[best]] { best = r }
            }
            guard best >= 0 else { return out }
            out.append(runs[best][heads[best]])
            heads[best] += 1
        }
    }

    /// Protocols by IANA number.
    private static let protocols: [L4Protocol?] = (0..<256).map { n in L4Protocol.allCases.first { Int($0.number) == n } }

    /// `add SET MEMBER\n` for each member, in order (written as bytes).
    static func addLines(_ set: String, _ members: [HairpinMember]) -> String {
        guard !members.isEmpty else { return "" }
        let prefix = ASCIIBuffer("add \(set) ")
        var w = ASCIIBuffer(capacity: members.count * (prefix.count + 40))
        for m in members {
            w.write(prefix)
            m.write(to: &w)
            w.write(byte: UInt8(ascii: "\n"))
        }
        return w.string
    }
}
