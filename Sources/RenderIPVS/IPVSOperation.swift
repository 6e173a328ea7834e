import SwitchyardCore

/// One step the IPVS applier performs. `IPVSPlan.operations(from:to:)` returns them in a safe order.
///
/// Idempotence the applier must provide: `addDestination` on a real server that is still present
/// at weight 0 because it was draining (an earlier `.updateDestination(…, pendingDelete: true)`)
/// sets its weight and cancels the pending delete — kube-proxy's "move out of the graceful
/// delete list". `deleteService` also cancels pending deletes of its real servers.
public enum IPVSOperation: Hashable, Sendable, CustomStringConvertible {
    /// `ipset create` (the set is empty here; members follow as `addSetMember`).
    case createSet(IPVSIPSet)
    case addSetMember(set: String, member: IPSetMember)
    /// Hold a service address on `switchyard-ipvs` (IPv4: a local route through it; IPv6: an
    /// address; see `IPVSPlan.routeProtocol`).
    case addAddress(IPAddress)
    case addService(IPVSService)
    /// Change scheduler, flags or persistence of an existing service.
    case updateService(IPVSService)
    case addDestination(service: IPVSServiceKey, destination: IPVSDestination)
    /// Change a real server's weight or forwarding. With `pendingDelete` the destination has
    /// weight 0 and is gone from the desired plan: graceful termination. The applier deletes it
    /// once its active and inactive connection counts reach zero (or a timeout passes).
    case updateDestination(service: IPVSServiceKey, destination: IPVSDestination, pendingDelete: Bool)
    /// `iptables-restore --noflush` the ruleset's text and ensure its jumps.
    case restoreIptables(IPVSIptablesRuleset)
    /// Delete a real server now (UDP/SCTP real servers, which kube-proxy does not drain).
    case deleteDestination(service: IPVSServiceKey, destination: IPVSDestinationKey)
    case deleteService(IPVSServiceKey)
    case deleteAddress(IPAddress)
    case deleteSetMember(set: String, member: IPSetMember)
    /// Remove our chains and jumps of a family that is no longer configured.
    case removeIptables(IPFamily)
    /// `ipset destroy` (after no rule references it).
    case destroySet(String)

    /// Safe-order rank: creation before use, use before removal.
    var phase: Int {
        switch self {
        case .createSet: return 0
        case .addSetMember: return 1
        case .addAddress: return 2
        case .addService, .updateService: return 3
        case .addDestination: return 4
        case .updateDestination(_, _, let pending): return pending ? 6 : 4
        case .restoreIptables: return 5
        case .deleteDestination: return 6
        case .deleteService: return 7
        case .deleteAddress: return 8
        case .deleteSetMember: return 9
        case .removeIptables: return 10
        case .destroySet: return 11
        }
    }

    /// One readable line (ipvsadm / ipset / ip syntax where one exists).
    public var description: String {
        switch self {
        case .createSet(let s): return "ipset " + s.createLine
        case .addSetMember(let n, let m): return "ipset add \(n) \(m)"
        case .addAddress(let a): return "ip " + IPVSPlan.holdCommand("add", a)
        case .addService(let s): return "ipvsadm " + s.ipvsadmLine
        case .updateService(let s): return "ipvsadm -E" + s.ipvsadmLine.dropFirst(2)
        case .addDestination(let k, let d): return "ipvsadm " + IPVSVirtualServer.destinationLine(k, d)
        case .updateDestination(let k, let d, let pending):
            return "ipvsadm -e" + IPVSVirtualServer.destinationLine(k, d).dropFirst(2) + (pending ? "  # drain, delete when idle" : "")
        case .restoreIptables(let r): return "iptables-restore --noflush (\(r.family.rawValue), \(r.restoreText.split(separator: "\n").count) lines)"
        case .deleteDestination(let k, let d): return "ipvsadm -d \(k.ipvsadmSelector) -r \(d)"
        case .deleteService(let k): return "ipvsadm -D \(k.ipvsadmSelector)"
        case .deleteAddress(let a): return "ip " + IPVSPlan.holdCommand("del", a)
        case .deleteSetMember(let n, let m): return "ipset del \(n) \(m)"
        case .removeIptables(let f): return "remove switchyard chains (\(f.rawValue))"
        case .destroySet(let n): return "ipset destroy \(n)"
        }
    }
}

extension IPVSPlan {
    /// The operations that turn the kernel from `old` (nil: nothing of ours is there) into `new`,
    /// in a safe order: sets and members before the rules that match them, addresses before
    /// services, services before their destinations, new destinations before old ones drain,
    /// destinations before their service goes, rules before the sets they reference are destroyed.
    ///
    /// Removed TCP real servers of a surviving service are drained (`updateDestination` with
    /// weight 0 and `pendingDelete`), UDP and SCTP ones deleted at once, as kube-proxy does.
    public static func operations(from old: IPVSPlan?, to new: IPVSPlan) -> [IPVSOperation] {
        let old = old ?? IPVSPlan()
        var ops: [IPVSOperation] = []
        diffSets(old, new, into: &ops)
        for a in new.addresses.subtracting(old.addresses) { ops.append(.addAddress(a)) }
        for a in old.addresses.subtracting(new.addresses) { ops.append(.deleteAddress(a)) }
        diffServices(old, new, into: &ops)
        for (f, r) in new.iptables where old.iptables[f] != r { ops.append(.restoreIptables(r)) }
        for f in old.iptables.keys where new.iptables[f] == nil { ops.append(.removeIptables(f)) }
        return IPVSOperationOrder.sorted(ops)
    }

    private static func diffSets(_ old: IPVSPlan, _ new: IPVSPlan, into ops: inout [IPVSOperation]) {
        for (name, set) in new.ipsets {
            let before = old.ipsets[name]
            if before == nil { ops.append(.createSet(IPVSIPSet(role: set.role, family: set.family))) }
            let had = before?.members ?? []
            for m in set.members.subtracting(had) { ops.append(.addSetMember(set: name, member: m)) }
            for m in had.subtracting(set.members) { ops.append(.deleteSetMember(set: name, member: m)) }
        }
        for (name, _) in old.ipsets where new.ipsets[name] == nil { ops.append(.destroySet(name)) }
    }

    private static func diffServices(_ old: IPVSPlan, _ new: IPVSPlan, into ops: inout [IPVSOperation]) {
        for (key, vs) in new.virtualServers {
            guard let before = old.virtualServers[key] else {
                ops.append(.addService(vs.service))
                for d in vs.destinations { ops.append(.addDestination(service: key, destination: d)) }
                continue
            }
            if before.service != vs.service { ops.append(.updateService(vs.service)) }
            diffDestinations(key, before.destinations, vs.destinations, into: &ops)
        }
        for key in old.virtualServers.keys where new.virtualServers[key] == nil { ops.append(.deleteService(key)) }
    }

    private static func diffDestinations(_ key: IPVSServiceKey, _ old: [IPVSDestination], _ new: [IPVSDestination],
                                         into ops: inout [IPVSOperation]) {
        if old == new { return }
        var had: [IPVSDestinationKey: IPVSDestination] = [:]
        for d in old { had[d.key] = d }
        var wanted = Set<IPVSDestinationKey>()
        for d in new {
            wanted.insert(d.key)
            if let b = had[d.key] {
                if b != d { ops.append(.updateDestination(service: key, destination: d, pendingDelete: false)) }
            } else {
                ops.append(.addDestination(service: key, destination: d))
            }
        }
        let drains: Bool
        if case .inet(.tcp, _, _) = key { drains = true } else { drains = false }
        for d in old where !wanted.contains(d.key) {
            if drains {
                var zero = d
                zero.weight = 0
                ops.append(.updateDestination(service: key, destination: zero, pendingDelete: true))
            } else {
                ops.append(.deleteDestination(service: key, destination: d.key))
            }
        }
    }
}
