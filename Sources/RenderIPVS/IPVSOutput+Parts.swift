import Render

extension IPVSOutput {
    /// Full renders: the readable plan, the `ipset restore` input and each family's complete
    /// iptables ruleset (with its jumps). Incremental renders: the operation list.
    public var parts: [RenderedPart] {
        guard let plan else { return [RenderedPart(name: "operations.txt", command: "", text: text)] }
        var out = [
            RenderedPart(name: "ipvs-plan.txt", command: "", text: plan.text),
            RenderedPart(name: "ipset.txt", command: "ipset restore", text: plan.ipsetRestoreText),
        ]
        for f in plan.iptables.keys.sorted() {
            guard let r = plan.iptables[f] else { continue }
            let tool = f == .ipv4 ? "iptables-restore" : "ip6tables-restore"
            out.append(RenderedPart(name: "\(tool).\(f == .ipv4 ? "ipv4" : "ipv6")", command: tool, text: r.standaloneText))
        }
        return out
    }
}
