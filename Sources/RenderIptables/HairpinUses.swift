import Diff
import Model
import Render

/// How many ports of a state DNAT to each hairpin member (an endpoint `EP,proto:port`), so a
/// partial render deletes a member only when its last user goes, in O(change) instead of a scan
/// of every port.
struct HairpinUses: PortCounting, Equatable {
    private(set) var counts: [HairpinMember: Int] = [:]

    init() {}

    /// Whether some port still DNATs to `m`.
    func isUsed(_ m: HairpinMember) -> Bool { counts[m] != nil }

    /// Adds `n` uses for each member of `p` (each once per port; every family: members carry theirs).
    mutating func count(_ p: ServicePort, by n: Int) {
        for m in PortRules.hairpinMembers(p) { counts.addCount(n, to: m) }
    }
}
