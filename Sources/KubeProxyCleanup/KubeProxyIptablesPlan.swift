/// What to remove from one iptables dump so that nothing kube-proxy created is left, and nothing else
/// is touched. Pure: built from `iptables-save` text, rendered as `iptables-restore --noflush` input.
///
/// kube-proxy's chains are the `KUBE-*` chains of the nat, filter and mangle tables that
/// `KubeProxyChains.isKubeProxyChain` recognises (not the kubelet's, not other projects'). For each table the plan deletes
/// every rule in a surviving chain (built-in or foreign) that jumps or goes to one of kube-proxy's
/// chains, then flushes all of kube-proxy's chains (so their references to each other are gone), then
/// deletes them. Rules inside kube-proxy's chains are not deleted one by one: the flush removes them.
public struct KubeProxyIptablesPlan: Sendable, Equatable {
    /// The plan for one table.
    public struct TablePlan: Sendable, Equatable {
        public var table: String
        /// Rules to delete, as `(chain, spec)`; rendered `-D chain spec`.
        public var deletedRules: [IptablesSave.Rule]
        /// kube-proxy chains to flush and delete, in dump order.
        public var removedChains: [String]
        /// `KUBE-*` chains deliberately left alone (the kubelet's, other projects').
        public var keptChains: [String]

        public var isEmpty: Bool { deletedRules.isEmpty && removedChains.isEmpty }
    }

    /// Tables with something to do, in dump order.
    public var tables: [TablePlan]

    /// Tables a cleanup looks at; kube-proxy writes no others.
    public static let tablesConsidered: Set<String> = ["nat", "filter", "mangle"]

    /// Decides what to remove from the dump `iptablesSave` (the output of `iptables-save` or `ip6tables-save`,
    /// nft or legacy).
    public init(iptablesSave: String) {
        self.init(dump: IptablesSave(parsing: iptablesSave))
    }

    public init(dump: IptablesSave) {
        tables = dump.tables.compactMap { table in
            guard Self.tablesConsidered.contains(table.name) else { return nil }
            let plan = Self.plan(table)
            return plan.isEmpty ? nil : plan
        }
    }

    public var isEmpty: Bool { tables.isEmpty }

    /// The `iptables-restore --noflush` input that carries the plan out ("" when there is nothing to do).
    public var restoreInput: String {
        var out = ""
        for t in tables {
            out += "*\(t.table)\n"
            for rule in t.deletedRules { out += "-D \(rule.chain) \(rule.spec)\n" }
            for chain in t.removedChains { out += "-F \(chain)\n" }
            for chain in t.removedChains { out += "-X \(chain)\n" }
            out += "COMMIT\n"
        }
        return out
    }

    static func plan(_ table: IptablesSave.Table) -> TablePlan {
        var declared = table.chains
        // A rule may sit in (or jump to) a chain the dump did not declare; treat those chains as declared.
        for rule in table.rules where !declared.contains(rule.chain) { declared.append(rule.chain) }
        let removed = declared.filter { KubeProxyChains.isKubeProxyChain($0, table: table.name) && !table.builtinChains.contains($0) }
        let removedSet = Set(removed)
        let kept = declared.filter { $0.hasPrefix(KubeProxyChains.prefix) && !removedSet.contains($0) }
        let deleted = table.rules.filter { rule in
            !removedSet.contains(rule.chain) && rule.target.map(removedSet.contains) == true
        }
        return TablePlan(table: table.name, deletedRules: deleted, removedChains: removed, keptChains: kept)
    }
}

/// Which chain names are kube-proxy's. Not every `KUBE-*` chain is: the kubelet owns a few, and other
/// projects use the prefix too (kube-router's KUBE-ROUTER-*, KUBE-POD-FW-*, KUBE-NWPLCY-*). So the test
/// is an allowlist of the names kube-proxy's iptables and IPVS modes use (current and older releases)
/// plus its per-service hashed prefixes.
public enum KubeProxyChains {
    /// Every chain kube-proxy creates starts with this.
    public static let prefix = "KUBE-"

    /// Fixed chain names of kube-proxy's iptables and IPVS modes.
    public static let names: Set<String> = [
        "KUBE-SERVICES", "KUBE-EXTERNAL-SERVICES", "KUBE-NODEPORTS", "KUBE-POSTROUTING", "KUBE-FORWARD",
        "KUBE-MARK-MASQ", "KUBE-MARK-DROP", "KUBE-PROXY-FIREWALL", "KUBE-PROXY-CANARY",
        // IPVS mode
        "KUBE-NODE-PORT", "KUBE-LOAD-BALANCER", "KUBE-FIREWALL", "KUBE-IPVS-FILTER", "KUBE-IPVS-OUT-FILTER",
        "KUBE-SOURCE-RANGES-FIREWALL",
    ]

    /// Prefixes of kube-proxy's per-service and per-endpoint chains (followed by a 16-character hash).
    public static let hashedPrefixes = ["KUBE-SVC-", "KUBE-SVL-", "KUBE-EXT-", "KUBE-FW-", "KUBE-SEP-", "KUBE-XLB-"]

    /// `KUBE-*` chains the kubelet creates and keeps re-creating (its canary, the iptables-mode hint
    /// for containerised tools, and the filter table's KUBE-FIREWALL that drops martian packets to
    /// 127.0.0.0/8 when route_localnet is on). Removing them would fight the kubelet, so they stay.
    /// kube-proxy's IPVS mode has its own `KUBE-FIREWALL` in the nat table: that one goes.
    public static let kubeletOwned: [String: Set<String>] = [
        "filter": ["KUBE-KUBELET-CANARY", "KUBE-FIREWALL"],
        "nat": ["KUBE-KUBELET-CANARY"],
        "mangle": ["KUBE-KUBELET-CANARY", "KUBE-IPTABLES-HINT"],
    ]

    /// True when `chain` in `table` is one kube-proxy made.
    public static func isKubeProxyChain(_ chain: String, table: String) -> Bool {
        if kubeletOwned[table]?.contains(chain) ?? false { return false }
        return names.contains(chain) || hashedPrefixes.contains(where: { chain.hasPrefix($0) && chain.count > $0.count })
    }
}
