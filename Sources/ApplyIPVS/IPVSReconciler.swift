import IPVSNetlink
import RenderIPVS
import SwitchyardCore

/// The full-sync comparison of a desired plan with the kernel's IPVS tables: only the differences
/// become commands (never flush and re-add). Pure given its inputs (`destinations` is the dump).
struct IPVSReconciler {
    /// The desired plan.
    var plan: IPVSPlan
    /// Services the kernel holds that belong to us (see `IPVSApplier`'s ownership rule).
    var owned: (IPVSNetlink.IPVSService) -> Bool

    struct Result {
        /// Commands in a safe order: service adds (each with its real servers) and changes,
        /// destination adds/changes, drains, deletes.
        var commands = IPVSCommandList()
        /// TCP real servers the plan dropped, now at weight 0: delete once idle.
        var drains: [(RenderIPVS.IPVSServiceKey, IPVSDestinationKey)] = []
        /// Real servers found at weight 0 that the plan wants, restored.
        var restored = 0
    }

    /// Compares `kernel` (a service dump) with the plan; `destinations` dumps one service's real servers.
    func reconcile(kernel: [IPVSNetlink.IPVSService],
                   destinations: (IPVSNetlink.IPVSServiceKey) throws -> [IPVSDestinationEntry]) rethrows -> Result {
        var r = Result()
        var byKey: [IPVSNetlink.IPVSServiceKey: IPVSNetlink.IPVSService] = [:]
        for s in kernel { byKey[s.key] = s }
        var services = IPVSCommandList(), dests: [IPVSCommand] = [], drains: [IPVSCommand] = [], deletes: [IPVSCommand] = []
        for vs in plan.sortedVirtualServers {
            guard let have = byKey[IPVSConversion.kernelKey(vs.key)] else {
                services.create(vs)
                continue
            }
            let want = IPVSConversion.kernelService(vs.service)
            if have != want { services.append(.setService(want)) }
            var current: [IPVSDestinationKey: IPVSNetlink.IPVSDestination] = [:]
            for e in try destinations(want.key) { current[IPVSConversion.destinationKey(e.destination)] = e.destination }
            for d in vs.destinations {
                let wanted = IPVSConversion.kernelDestination(d)
                guard let got = current.removeValue(forKey: d.key) else { dests.append(.newDestination(want.key, wanted)); continue }
                if got.weight == 0 && wanted.weight != 0 { r.restored += 1 }
                if got != wanted { dests.append(.setDestination(want.key, wanted)) }
            }
            let drainsTCP: Bool
            if case .address(.tcp, _, _) = want.key { drainsTCP = true } else { drainsTCP = false }
            for (k, got) in current.sorted(by: { $0.key < $1.key }) {
                if drainsTCP {
                    if got.weight != 0 { var zero = got; zero.weight = 0; drains.append(.setDestination(want.key, zero)) }
                    r.drains.append((vs.key, k))
                } else {
                    deletes.append(.deleteDestination(want.key, got))
                }
            }
        }
        for s in kernel where plan.virtualServers[IPVSConversion.planKey(s.key)] == nil && owned(s) {
            deletes.append(.deleteService(s.key))
        }
        r.commands = services
        for c in dests { r.commands.append(c) }
        for c in drains { r.commands.append(c) }
        for c in deletes { r.commands.append(c) }
        return r
    }
}

/// Maps incremental plan operations to kernel commands and ipset/address work.
struct IPVSIncrementalBatch {
    var ipsetBefore: [IPVSOperation] = []
    var addressesToAdd: [IPAddress] = []
    var commands: [IPVSCommand] = []
    var drains: [(RenderIPVS.IPVSServiceKey, IPVSDestinationKey)] = []
    /// Drains cancelled (the plan wants the real server again, or it is deleted outright).
    var undrained: [(RenderIPVS.IPVSServiceKey, IPVSDestinationKey)] = []
    var servicesDeleted: [RenderIPVS.IPVSServiceKey] = []
    var ipsetAfter: [IPVSOperation] = []
    var addressesToDelete: [IPAddress] = []
    var iptables: [IPVSOperation] = []

    /// `draining(k, d)` tells whether a real server is currently left at weight 0 awaiting deletion:
    /// adding it again must be a weight change, not a create.
    init(_ ops: [IPVSOperation], draining: (RenderIPVS.IPVSServiceKey, IPVSDestinationKey) -> Bool) {
        for op in ops {
            switch op {
            case .createSet, .addSetMember: ipsetBefore.append(op)
            case .deleteSetMember, .destroySet: ipsetAfter.append(op)
            case .addAddress(let a): addressesToAdd.append(a)
            case .deleteAddress(let a): addressesToDelete.append(a)
            case .addService(let s): commands.append(.newService(IPVSConversion.kernelService(s)))
            case .updateService(let s): commands.append(.setService(IPVSConversion.kernelService(s)))
            case .addDestination(let k, let d):
                let kd = IPVSConversion.kernelDestination(d)
                if draining(k, d.key) {
                    commands.append(.setDestination(IPVSConversion.kernelKey(k), kd))
                    undrained.append((k, d.key))
                } else {
                    commands.append(.newDestination(IPVSConversion.kernelKey(k), kd))
                }
            case .updateDestination(let k, let d, let pending):
                commands.append(.setDestination(IPVSConversion.kernelKey(k), IPVSConversion.kernelDestination(d)))
                if pending { drains.append((k, d.key)) } else if draining(k, d.key) { undrained.append((k, d.key)) }
            case .deleteDestination(let k, let d):
                commands.append(.deleteDestination(IPVSConversion.kernelKey(k), IPVSConversion.kernelDestination(d)))
                undrained.append((k, d))
            case .deleteService(let k):
                commands.append(.deleteService(IPVSConversion.kernelKey(k)))
                servicesDeleted.append(k)
            case .restoreIptables, .removeIptables: iptables.append(op)
            }
        }
    }
}
