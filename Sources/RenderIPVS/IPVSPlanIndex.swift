import Dispatch
import Diff
import Model
import SwitchyardCore

/// The current IPVS plan with reference counts of its shared resources, so an incremental sync
/// costs O(change) instead of a scan of every service port.
///
/// Every service port contributes virtual servers, addresses and ipset members. Several ports can
/// contribute the same address (a ClusterIP with two ports), the same ipset member (a hairpin entry
/// of an endpoint used by two services, a health-check node port) or claim the same virtual server
/// key (a conflict: the first claimant in `ProxyState.allPorts` order wins, as in a full render,
/// and an incremental change keeps the current owner). The index counts contributions, so removing
/// one port deletes a shared resource only when its count reaches zero.
///
/// `plan` always equals `IPVSRenderer.plan(state)` for the state the index has followed (up to
/// which claimant owns a conflicting key after incremental changes).
public struct IPVSPlanIndex: Sendable {
    /// The effective plan: what the kernel should hold.
    public private(set) var plan: IPVSPlan
    /// Claimants of a virtual server key after its owner (the owner is `plan.virtualServers[key]`),
    /// only for keys claimed more than once: a full build then allocates no list per key.
    private var otherClaims: [IPVSServiceKey: [IPVSVirtualServer]] = [:]
    /// Contributions of an address or set member beyond its first, only for those contributed more
    /// than once (a ClusterIP with two ports, a hairpin entry of an endpoint two services use): the
    /// first is its presence in `plan`, so a full build hashes each resource once, not twice.
    private var extraAddressRefs: [IPAddress: Int] = [:]
    private var extraMemberRefs: [String: [IPSetMember: Int]] = [:]
    public let options: IPVSOptions

    /// Builds the index (and the full plan) for `state`: O(ports).
    public init(state: ProxyState, options: IPVSOptions = IPVSOptions()) {
        self.options = options
        let builder = IPVSPlanBuilder(state: state, options: options)
        plan = builder.skeleton()
        let ports = state.keyOrderedPorts(families: state.config.families)
        // Runs of ports collected on every core, then counted in port order (the first claimant
        // of a key stays its owner, as in `IPVSRenderer.plan`).
        let workers = ParallelMap.workers()
        let chunks = workers < 2 || ports.count < 2048 ? 1 : 4 * workers
        let bounds = (0..<chunks).map { c in (ports.count * c / chunks)..<(ports.count * (c + 1) / chunks) }
        let parts = ParallelMap.map(bounds, minimumChunk: 1) { r in
            var c = IPVSContributions(capacity: r.count)
            for i in r { c.collect(ports[i], with: builder) }
            return c
        }
        var perFamily: [IPFamily: Int] = [:]
        for i in ports.indices { perFamily[ports[i].key.family, default: 0] += 1 }
        insertAll(parts, portsPerFamily: perFamily)
    }

    /// Counts every contribution, in order, into the three kinds of table (virtual servers,
    /// addresses, set members) at once, each on its own core: they are independent, and inserting
    /// ~40,000 resources of a 10k-service state one after the other was most of a full IPVS render.
    ///
    /// Each table is first sized for what every port adds to it (a virtual server, an address, a
    /// CLUSTER-IP and an IPVS-IPS member each) instead of growing by rehashing into fresh memory —
    /// which User-Mode Linux makes expensive to touch.
    private mutating func insertAll(_ parts: [IPVSContributions], portsPerFamily: [IPFamily: Int]) {
        let ports = portsPerFamily.values.reduce(0, +)
        // Moved out of `self`, so each table is uniquely referenced and changes in place.
        var services = (owners: plan.virtualServers, others: otherClaims)
        var addresses = (set: plan.addresses, extra: extraAddressRefs)
        var members = (sets: plan.ipsets, extra: extraMemberRefs)
        plan.virtualServers = [:]; otherClaims = [:]
        plan.addresses = []; extraAddressRefs = [:]
        plan.ipsets = [:]; extraMemberRefs = [:]
        withUnsafeMutablePointer(to: &services) { sp in
            withUnsafeMutablePointer(to: &addresses) { ap in
                withUnsafeMutablePointer(to: &members) { mp in
                    nonisolated(unsafe) let s = sp, a = ap, m = mp
                    DispatchQueue.concurrentPerform(iterations: 3) { table in
                        switch table {
                        case 0: s.pointee.owners.reserveCapacity(ports)
                        case 1: a.pointee.set.reserveCapacity(ports)
                        default:
                            for (f, n) in portsPerFamily {
                                for role in [IPVSSetRole.clusterIP, .ipvsIPs] { m.pointee.sets[role.name(f)]?.members.reserveCapacity(n) }
                            }
                        }
                        for c in parts {
                            switch table {
                            case 0: for vs in c.services { Self.claim(vs, owners: &s.pointee.owners, others: &s.pointee.others) }
                            case 1: for x in c.addresses { Self.retain(x, in: &a.pointee.set, extra: &a.pointee.extra) }
                            default:
                                for x in c.members {
                                    Self.retain((x.role.name(x.family), x.role, x.family, x.member), in: &m.pointee.sets, extra: &m.pointee.extra)
                                }
                            }
                        }
                    }
                }
            }
        }
        plan.virtualServers = services.owners; otherClaims = services.others
        plan.addresses = addresses.set; extraAddressRefs = addresses.extra
        plan.ipsets = members.sets; extraMemberRefs = members.extra
    }

    /// A claim of `vs.key` after those before it: the first claimant owns the key.
    private static func claim(_ vs: IPVSVirtualServer, owners: inout [IPVSServiceKey: IPVSVirtualServer],
                              others: inout [IPVSServiceKey: [IPVSVirtualServer]]) {
        if owners[vs.key] == nil { owners[vs.key] = vs } else { others[vs.key, default: []].append(vs) }
    }

    /// Counts one more contribution of `e`: the first puts it into `set`, the others are counted
    /// in `extra`.
    private static func retain<E: Hashable>(_ e: E, in set: inout Set<E>, extra: inout [E: Int]) {
        if !set.insert(e).inserted { extra[e, default: 0] += 1 }
    }

    /// Counts one contribution less of `e`: the last takes it out of `set` (one never contributed
    /// is ignored).
    private static func release<E: Hashable>(_ e: E, in set: inout Set<E>, extra: inout [E: Int]) {
        if let n = extra[e] { extra[e] = n > 1 ? n - 1 : nil } else { set.remove(e) }
    }

    /// `retain` of a set member (the set is created with its role and family if the plan lacks it).
    private static func retain(_ m: (name: String, role: IPVSSetRole, family: IPFamily, member: IPSetMember),
                               in sets: inout [String: IPVSIPSet], extra: inout [String: [IPSetMember: Int]]) {
        if !sets[m.name, default: IPVSIPSet(role: m.role, family: m.family)].members.insert(m.member).inserted {
            extra[m.name, default: [:]][m.member, default: 0] += 1
        }
    }

    /// `release` of a set member.
    private mutating func release(_ m: IPSetMember, in name: String) {
        if let n = extraMemberRefs[name]?[m] {
            extraMemberRefs[name]![m] = n > 1 ? n - 1 : nil
        } else {
            plan.ipsets[name]?.members.remove(m)
        }
    }

    /// Number of virtual servers claimed by more than one service port (conflicts).
    public var conflictingKeys: Int { otherClaims.count }

    /// Every claimant of `k`, the owner first.
    private func claims(_ k: IPVSServiceKey) -> [IPVSVirtualServer] {
        guard let owner = plan.virtualServers[k] else { return [] }
        return [owner] + (otherClaims[k] ?? [])
    }

    /// Makes `list` the claimants of `k` (the first owns it; empty: nobody claims it).
    private mutating func setClaims(_ k: IPVSServiceKey, _ list: [IPVSVirtualServer]) {
        plan.virtualServers[k] = list.first
        otherClaims[k] = list.count > 1 ? Array(list.dropFirst()) : nil
    }

    /// Follows `diff` (from the followed state to `state`) and returns the operations that take the
    /// kernel from the old plan to the new one. Touches only the resources the changed ports
    /// contribute. The caller must fall back to a full sync when `diff.requiresFullSync`.
    public mutating func apply(_ diff: StateDiff, state: ProxyState) -> [IPVSOperation] {
        let builder = IPVSPlanBuilder(state: state, options: options)
        let families = state.config.families
        var removals: [IPVSPlan] = []
        var additions: [IPVSPlan] = []
        for p in diff.removed where families.contains(p.key.family) { removals.append(Self.contribution(p, builder)) }
        for c in diff.changed {
            if families.contains(c.old.key.family) { removals.append(Self.contribution(c.old, builder)) }
            if families.contains(c.new.key.family) { additions.append(Self.contribution(c.new, builder)) }
        }
        for p in diff.added where families.contains(p.key.family) { additions.append(Self.contribution(p, builder)) }
        if removals.isEmpty && additions.isEmpty { return [] }

        let touched = Self.touched(removals + additions)
        let before = subset(touched)
        var slots: [Slot: Int] = [:]
        for c in removals { remove(c, slots: &slots) }
        for c in additions { insert(c, slots: slots) }
        let after = subset(touched)
        return IPVSPlan.operations(from: before, to: after)
    }

    /// What one port contributes (no skeleton: only its own virtual servers, addresses and members).
    static func contribution(_ p: ServicePort, _ builder: IPVSPlanBuilder) -> IPVSPlan {
        var c = IPVSPlan()
        builder.add(p, to: &c)
        return c
    }

    private struct Touched {
        var services = Set<IPVSServiceKey>()
        var addresses = Set<IPAddress>()
        var members: [String: (IPVSIPSet, Set<IPSetMember>)] = [:]
    }

    private static func touched(_ contributions: [IPVSPlan]) -> Touched {
        var t = Touched()
        for c in contributions {
            t.services.formUnion(c.virtualServers.keys)
            t.addresses.formUnion(c.addresses)
            for (name, set) in c.ipsets {
                t.members[name, default: (IPVSIPSet(role: set.role, family: set.family), [])].1.formUnion(set.members)
            }
        }
        return t
    }

    /// The part of the effective plan that `t` names (sets present on both sides, so no create/destroy).
    private func subset(_ t: Touched) -> IPVSPlan {
        var out = IPVSPlan()
        for k in t.services { if let vs = plan.virtualServers[k] { out.virtualServers[k] = vs } }
        for a in t.addresses where plan.addresses.contains(a) { out.addresses.insert(a) }
        for (name, entry) in t.members {
            var set = entry.0
            let current = plan.ipsets[name]?.members ?? []
            set.members = entry.1.filter { current.contains($0) }
            out.ipsets[name] = set
        }
        return out
    }

    /// Where a removed claim stood, so the same port's new claim takes its place (a changed owner
    /// stays the owner).
    private struct Slot: Hashable { var key: IPVSServiceKey; var origin: ServicePortKey? }

    private mutating func insert(_ c: IPVSPlan, slots: [Slot: Int]) {
        for (k, vs) in c.virtualServers {
            var list = claims(k)
            if let i = slots[Slot(key: k, origin: vs.origin)], i <= list.count { list.insert(vs, at: i) } else { list.append(vs) }
            setClaims(k, list)
        }
        for a in c.addresses { Self.retain(a, in: &plan.addresses, extra: &extraAddressRefs) }
        for (name, set) in c.ipsets {
            if plan.ipsets[name] == nil { plan.ipsets[name] = IPVSIPSet(role: set.role, family: set.family) }
            for m in set.members { Self.retain((name, set.role, set.family, m), in: &plan.ipsets, extra: &extraMemberRefs) }
        }
    }

    private mutating func remove(_ c: IPVSPlan, slots: inout [Slot: Int]) {
        for (k, vs) in c.virtualServers {
            var list = claims(k)
            guard let i = list.firstIndex(where: { $0.origin == vs.origin }) else { continue }
            list.remove(at: i)
            slots[Slot(key: k, origin: vs.origin)] = i
            setClaims(k, list)
        }
        for a in c.addresses { Self.release(a, in: &plan.addresses, extra: &extraAddressRefs) }
        for (name, set) in c.ipsets {
            for m in set.members { release(m, in: name) }
        }
    }
}
