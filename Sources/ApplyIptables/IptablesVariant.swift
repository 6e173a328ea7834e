import SwitchyardCore

/// Which iptables implementation programs the kernel: the legacy x_tables interface or the
/// nf_tables-based one. Both sets of tools are usually installed; the node's other users
/// (kubelet, CNI plugins) decide which one is in use, and Switchyard must use the same.
public enum IptablesVariant: String, Hashable, Sendable, CaseIterable {
    case legacy
    case nft

    /// The tool for `family`: `iptables-legacy-restore`, `ip6tables-nft-save`, ….
    /// `kind` is `restore` or `save`.
    public func tool(_ kind: String, family: IPFamily) -> String {
        (family == .ipv4 ? "iptables" : "ip6tables") + "-\(rawValue)-\(kind)"
    }

    /// The variant a node uses, decided from the tools' output the way iptables-wrapper does:
    /// 1. kubelet's hint chains (`KUBE-IPTABLES-HINT`, `KUBE-KUBELET-CANARY`) present in exactly
    ///    one variant's save output decide;
    /// 2. otherwise the variant with more rules (`-A` lines) wins, nft on a tie;
    /// 3. with no rules in either, the `iptables --version` tag (`(legacy)` / `(nf_tables)`)
    ///    of the system's default `iptables` decides; nft when it says neither.
    ///
    /// - Parameters:
    ///   - legacySave: `iptables-legacy-save` output (both families concatenated is fine).
    ///   - nftSave: `iptables-nft-save` output.
    ///   - version: `iptables --version` output, or "" when unknown.
    public static func detect(legacySave: String, nftSave: String, version: String) -> IptablesVariant {
        let hints = [":KUBE-IPTABLES-HINT ", ":KUBE-KUBELET-CANARY "]
        let legacyHint = hasLine(legacySave, prefixes: hints), nftHint = hasLine(nftSave, prefixes: hints)
        if legacyHint != nftHint { return legacyHint ? .legacy : .nft }
        let legacyRules = ruleCount(legacySave), nftRules = ruleCount(nftSave)
        if legacyRules != nftRules { return legacyRules > nftRules ? .legacy : .nft }
        if legacyRules == 0, version.contains("(legacy)") { return .legacy }
        return .nft
    }

    /// Number of rule lines (`-A …`) in save output.
    static func ruleCount(_ save: String) -> Int {
        var n = 0
        for line in save.split(separator: "\n") where line.hasPrefix("-A ") { n += 1 }
        return n
    }

    static func hasLine(_ save: String, prefixes: [String]) -> Bool {
        save.split(separator: "\n").contains { l in prefixes.contains { l.hasPrefix($0) } }
    }
}
