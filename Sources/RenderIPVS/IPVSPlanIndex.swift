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
    private var addressRefs: [IPAddress: Int] = [:]
    private var memberRefs: [String: [IPSetMember: Int]] = [:]
    public let options: IPVSOptions

    /// Builds the index (and the full plan) for `state`: O(ports).
    public init(state: ProxyState, options: IPVSOptions = IPVSOptions()) {
        self.options = options
        let builder = IPVSPlanBuilder(state: state, options: options)
        plan = builder.skeleton()
        let families = state.config.families
        let ports = state.allPorts.filter { families.contains($0.key.family) }
        reserve(for: ports)
        let workers = ParallelMap.workers()
        if workers < 2 || ports.count < 2048 {
            // One reused collector instead of a plan (dictionaries, sets) per port.
            var c = PortContribution()
            for p in ports {
                c.removeAll()
                builder.add(p, to: &c)
                insertFirst(c)
            }
            return
        }
        // Contributions in contiguous chunks on every core, inserted in port order (the first
        // claimant of a key stays its owner, as in the serial pass).
        let chunks = 4 * workers
        let bounds = (0..<chunks).map { c in (ports.count * c / chunks)..<(ports.count * (c + 1) / chunks) }
        for part in ParallelMap.map(bounds, minimumChunk: 1, { r in
            r.map { i in
                var c = PortContribution()
                builder.add(ports[i], to: &c)
                return c
            }
        }) {
            for c in part { insertFirst(c) }
        }
    }

    /// Sizes the tables every port adds to (a virtual server, an address, a CLUSTER-IP and an
    /// IPVS-IPS member each) once, instead of growing them by rehashing into fresh memory — which
    /// User-Mode Linux makes expensive to touch.
    private mutating func reserve(for ports: [ServicePort]) {
        plan.virtualServers.reserveCapacity(ports.count)
        plan.addresses.reserveCapacity(ports.count)
        addressRefs.reserveCapacity(ports.count)
        for f in IPFamily.allCases {
            let n = ports.count { $0.key.family == f }
            guard n > 0 else { continue }
            for role in [IPVSSetRole.clusterIP, .ipvsIPs] {
                let name = role.name(f)
                memberRefs[name, default: [:]].reserveCapacity(n)
                plan.ipsets[name]?.members.reserveCapacity(n)
            }
        }
    }

    /// A port's contribution as short lists, each entry once (what a per-port `IPVSPlan` would hold).
    private struct PortContribution: IPVSPlanSink, Sendable {
        var services: [IPVSVirtualServer] = []
        var addresses: [IPAddress] = []
        var members: [(name: String, role: IPVSSetRole, family: IPFamily, member: IPSetMember)] = []

        mutating func removeAll() {
            services.removeAll(keepingCapacity: true); addresses.removeAll(keepingCapacity: true)
            members.removeAll(keepingCapacity: true)
        }
        mutating func add(_ vs: IPVSVirtualServer) {
            if !services.contains(where: { $0.key == vs.key }) { services.append(vs) }
        }
        mutating func addAddress(_ a: IPAddress) {
            if !addresses.contains(a) { addresses.append(a) }
        }
        mutating func add(_ member: IPSetMember, to role: IPVSSetRole, family: IPFamily) {
            if !members.contains(where: { $0.role == role && $0.family == family && $0.member == member }) {
                members.append((role.name(family), role, family, member))
            }
        }
    }

    /// `insert(c, slots: [:])` for the collector, updating every table in place.
    private mutating func insertFirst(_ c: PortContribution) {
        for vs in c.services {
            if plan.virtualServers[vs.key] == nil { plan.virtualServers[vs.key] = vs } else { otherClaims[vs.key, default: []].append(vs) }
        }
        for a in c.addresses where Self.increment(&addressRefs[a, default: 0]) == 1 { plan.addresses.insert(a) }
        // One lookup of the set's name and one of the member per table (names are strings: hashing
        // them was most of this loop).
        for m in c.members where Self.increment(&memberRefs[m.name, default: [:]][m.member, default: 0]) == 1 {
            plan.ipsets[m.name, default: IPVSIPSet(role: m.role, family: m.family)].members.insert(m.member)
        }
    }

    /// Adds one to `n` in place and returns the new count.
    private static func increment(_ n: inout Int) -> Int { n += 1; return n }

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
        for a in c.addresses {
            addressRefs[a, default: 0] += 1
            if addressRefs[a] == 1 { plan.addresses.insert(a) }
        }
        for (name, set) in c.ipsets {
            if plan.ipsets[name] == nil { plan.ipsets[name] = IPVSIPSet(role: set.role, family: set.family) }
            for m in set.members {
                memberRefs[name, default: [:]][m, default: 0] += 1
                if memberRefs[name]![m] == 1 { plan.ipsets[name]!.members.insert(m) }
            }
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
        for a in c.addresses {
            guard let n = addressRefs[a] else { continue }
            if n <= 1 { addressRefs[a] = nil; plan.addresses.remove(a) } else { addressRefs[a] = n - 1 }
        }
        for (name, set) in c.ipsets {
            for m in set.members {
                guard let n = memberRefs[name]?[m] else { continue }
                if n <= 1 { memberRefs[name]![m] = nil; plan.ipsets[name]?.members.remove(m) } else { memberRefs[name]![m] = n - 1 }
            }
        }
    }
}
