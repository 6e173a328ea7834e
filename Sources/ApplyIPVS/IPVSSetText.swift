import RenderIPVS

/// `ipset restore -exist` input for the IPVS applier.
enum IPVSSetText {
    /// A full sync: every set of the plan is created if missing, then replaced as a whole by
    /// filling a temporary set of the same spec and swapping it in (atomic per set; stale members
    /// go without listing the kernel's), then the temporary set is destroyed.
    static func full(_ plan: IPVSPlan) -> String {
        var out = ""
        for (i, set) in plan.sortedIPSets.enumerated() {
            let temp = "SWITCHYARD-TMP-\(i)"
            out += set.createLine + "\n"
            out += set.createLine.replacingName(set.name, with: temp) + "\n"
            out += "flush \(temp)\n"
            for m in set.members.sorted() { out += "add \(temp) \(m)\n" }
            out += "swap \(temp) \(set.name)\n"
            out += "destroy \(temp)\n"
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

extension String {
    /// `create NAME …` with another name.
    func replacingName(_ name: String, with other: String) -> String {
        let prefix = "create " + name
        guard hasPrefix(prefix) else { return self }
        return "create " + other + dropFirst(prefix.count)
    }
}
