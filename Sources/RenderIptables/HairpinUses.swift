import Diff
import Model
import Render

/// How many ports of a state DNAT to each hairpin member (an endpoint `EP,proto:port`), so a
/// partial render deletes a member only when its last user goes, in O(change) instead of a scan
/// of every port.
struct HairpinUses: StateFollowing, Equatable {
    private(set) var counts: [HairpinMember: Int] = [:]

    /// The members of every port of `state` (every family: members carry theirs).
    init(_ state: ProxyState) {
        for (_, svc) in state.services {
            for i in svc.ports.indices { count(svc.ports[i], by: 1) }
        }
    }

    /// Follows `diff` (from the counted state to the next one).
    mutating func apply(_ diff: StateDiff) {
        for p in diff.removed { count(p, by: -1) }
        for c in diff.changed { count(c.old, by: -1); count(c.new, by: 1) }
        for p in diff.added { count(p, by: 1) }
    }

    /// Whether some port still DNATs to `m`.
    func isUsed(_ m: HairpinMember) -> Bool { counts[m] != nil }

    /// Adds `n` uses for each member of `p` (each once per port; entries at zero are removed).
    private mutating func count(_ p: ServicePort, by n: Int) {
        for m in PortRules.hairpinMembers(p) {
            let v = (counts[m] ?? 0) + n
            counts[m] = v > 0 ? v : nil
        }
    }
}
