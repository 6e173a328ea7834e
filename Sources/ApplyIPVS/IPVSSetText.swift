import RenderIPVS
import SwitchyardCore

/// `ipset restore -exist` input for the IPVS applier.
enum IPVSSetText {
    /// A full sync against the kernel's sets (`ipset save` output): missing sets are created and
    /// filled, existing ones get only the members that differ (deletes first, so a member the tool
    /// prints differently from us is deleted and re-added rather than lost). Empty when the kernel
    /// already matches: the restore can be skipped.
    static func full(_ plan: IPVSPlan, saved: String) -> String {
        let existing = parseSave(saved)
        var out = ""
        for set in plan.sortedIPSets {
            let want = Set(set.members.map(\.description))
            guard let have = existing[set.name] else {
                out += set.createLine + "\n"
                for m in set.members.sorted() { out += "add \(set.name) \(m)\n" }
                continue
            }
            for m in have.subtracting(want).sorted() { out += "del \(set.name) \(m)\n" }
            for m in set.members.sorted() where !have.contains(m.description) { out += "add \(set.name) \(m)\n" }
        }
        return out
    }

    /// Our sets the kernel has but the plan does not (a family no longer configured).
    static func stale(_ plan: IPVSPlan, saved: String) -> [String] {
        let ours = Set(IPFamily.allCases.flatMap { f in IPVSSetRole.allCases.map { $0.name(f) } })
        return parseSave(saved).keys.filter { ours.contains($0) && plan.ipsets[$0] == nil }.sorted()
    }

    /// Set name → members as `ipset save` prints them.
    static func parseSave(_ text: String) -> [String: Set<String>] {
        var out: [String: Set<String>] = [:]
        for line in text.split(separator: "\n") {
            let w = line.split(separator: " ", maxSplits: 3)
            guard w.count >= 2 else { continue }
            if w[0] == "create" { out[String(w[1]), default: []] = out[String(w[1])] ?? [] }
            if w[0] == "add", w.count >= 3 { out[String(w[1]), default: []].insert(String(w[2])) }
        }
        return out
    }

    /// Lines for the set operations among `ops` (creates and adds, or deletes and destroys).
    static func lines(_ ops: [IPVSOperation]) -> String {
        var out = ""
        for op in ops {
            switch op {
            case .createSet(let s): out += s.createLine + "\n"
            case .addSetMember(let n, let m): out += "add \(n) \(m)\n"
            case .deleteSetMember(let n, let m): out += "del \(n) \(m)\n"
            case .destroySet(let n): out += "destroy \(n)\n"
            default: break
            }
        }
        return out
    }
}

