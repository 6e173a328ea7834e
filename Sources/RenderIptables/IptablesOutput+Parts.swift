import Render

extension IptablesOutput {
    /// Per family: the `ipset restore` input (applied first), then the `iptables-restore --noflush` input.
    public var parts: [RenderedPart] {
        var out: [RenderedPart] = []
        for f in families {
            let fam = f.family == .ipv4 ? "ipv4" : "ipv6"
            if !f.ipsetRestore.isEmpty {
                out.append(RenderedPart(name: "ipset.\(fam)", command: "ipset restore", text: f.ipsetRestore))
            }
            if !f.restore.isEmpty {
                let tool = f.family == .ipv4 ? "iptables-restore" : "ip6tables-restore"
                out.append(RenderedPart(name: "\(tool).\(fam)", command: f.restoreCommand, text: f.restore))
            }
        }
        return out
    }
}
