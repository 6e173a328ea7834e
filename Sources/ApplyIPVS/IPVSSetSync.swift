import IPVSNetlink
import RenderIPVS
import SwitchyardCore

/// The ipset commands of the IPVS applier, sent over nfnetlink (`IPSetClient`). Compares in the
/// kernel's own element form, so what the kernel lists and what the plan wants meet exactly.
enum IPVSSetSync {
    /// Every set name of ours (all roles, both families).
    static var ourNames: Set<String> { Set(IPFamily.allCases.flatMap { f in IPVSSetRole.allCases.map { $0.name(f) } }) }

    /// A full sync against the kernel's sets (`kernel`: our sets as listed): each planned set is
    /// created (a no-op for an identical existing set; a set of another type under our name is
    /// refused rather than silently kept), then loses the members the plan lacks and gains the
    /// missing ones. Empty when the kernel already matches.
    static func full(_ plan: IPVSPlan, kernel: [String: IPSetListing]) -> [IPSetCommand] {
        var out: [IPSetCommand] = []
        for set in plan.sortedIPSets {
            let want = Set(set.members.map(IPVSConversion.element))
            guard let listed = kernel[set.name] else {
                out.append(.create(IPVSConversion.spec(set.role, set.family, members: want.count)))
                if !want.isEmpty { out.append(.add(set.name, set.members.sorted().map(IPVSConversion.element))) }
                continue
            }
            let have = Set(listed.members)
            let spec = IPVSConversion.spec(set.role, set.family, members: want.count)
            if listed.typeName != spec.typeName || listed.familyNumber != spec.familyNumber { out.append(.create(spec)) }
            let extra = have.subtracting(want), missing = want.subtracting(have)
            if !extra.isEmpty { out.append(.delete(set.name, extra.sorted(by: IPVSConversion.elementOrder))) }
            if !missing.isEmpty { out.append(.add(set.name, missing.sorted(by: IPVSConversion.elementOrder))) }
        }
        return out
    }

    /// Our sets the kernel has but the plan does not (a family no longer configured).
    static func stale(_ plan: IPVSPlan, kernel: [String: IPSetListing]) -> [String] {
        kernel.keys.filter { ourNames.contains($0) && plan.ipsets[$0] == nil }.sorted()
    }

    /// Commands for the set operations among `ops`, consecutive member changes of one set merged.
    static func commands(_ ops: [IPVSOperation]) -> [IPSetCommand] {
        var adds: [String: Int] = [:]
        for op in ops { if case .addSetMember(let n, _) = op { adds[n, default: 0] += 1 } }
        var out: [IPSetCommand] = []
        for op in ops {
            switch op {
            case .createSet(let s): out.append(.create(IPVSConversion.spec(s.role, s.family, members: adds[s.name] ?? 0)))
            case .addSetMember(let n, let m):
                if case .add(n, var list)? = out.last { out.removeLast(); list.append(IPVSConversion.element(m)); out.append(.add(n, list)) }
                else { out.append(.add(n, [IPVSConversion.element(m)])) }
            case .deleteSetMember(let n, let m):
                if case .delete(n, var list)? = out.last { out.removeLast(); list.append(IPVSConversion.element(m)); out.append(.delete(n, list)) }
                else { out.append(.delete(n, [IPVSConversion.element(m)])) }
            case .destroySet(let n): out.append(.destroy(n))
            default: break
            }
        }
        return out
    }
}
