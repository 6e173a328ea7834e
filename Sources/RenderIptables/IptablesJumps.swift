import SwitchyardCore

/// The rules in built-in chains that send traffic into Switchyard's chains.
///
/// `--noflush` never flushes built-in chains, so these must not be re-added on every restore.
/// The applier reads the current ruleset with `iptables-save` and asks `missing(from:)` which
/// are absent; only those are inserted (at the top, like kube-proxy), in the same restore
/// that declares the chains they jump to. Each spec is written exactly as `iptables-save`
/// prints it, so presence is a plain line comparison.
public enum IptablesJumps {
    /// One jump rule: table, built-in chain, and the rule spec after `-A CHAIN `.
    public struct Jump: Hashable, Sendable {
        public var table: String
        public var chain: String
        public var spec: String
    }

    /// Every jump rule, in the order they should appear in their chain.
    public static let all: [Jump] = {
        let portals = "-m comment --comment \"switchyard service portals\" -j \(IptablesNames.natServices)"
        let filterPortals = "-m conntrack --ctstate NEW -m comment --comment \"switchyard service portals\" -j \(IptablesNames.filterServices)"
        let clusterIPs = "-m conntrack --ctstate NEW -m comment --comment \"switchyard cluster IPs\" -j \(IptablesNames.filterClusterIPs)"
        return [
            Jump(table: "nat", chain: "PREROUTING", spec: portals),
            Jump(table: "nat", chain: "OUTPUT", spec: portals),
            Jump(table: "nat", chain: "POSTROUTING", spec: "-m comment --comment \"switchyard postrouting rules\" -j \(IptablesNames.natPostrouting)"),
            Jump(table: "filter", chain: "INPUT", spec: filterPortals),
            Jump(table: "filter", chain: "FORWARD", spec: filterPortals),
            Jump(table: "filter", chain: "FORWARD", spec: clusterIPs),
            Jump(table: "filter", chain: "FORWARD", spec: "-m comment --comment \"switchyard forwarding rules\" -j \(IptablesNames.filterForward)"),
            Jump(table: "filter", chain: "OUTPUT", spec: filterPortals),
            Jump(table: "filter", chain: "OUTPUT", spec: clusterIPs),
        ]
    }()

    /// The jumps absent from `savedText` (the output of `iptables-save` / `ip6tables-save` for
    /// the nat and filter tables), in the order they must be inserted with `-I` so they end
    /// up in `all`'s order.
    public static func missing(from savedText: String) -> [Jump] {
        var present = Set<String>()
        var table = ""
        for raw in savedText.split(separator: "\n", omittingEmptySubsequences: true) {
            let line = raw.trimmingSpaces
            if line.hasPrefix("*") { table = String(line.dropFirst()); continue }
            if line.hasPrefix("-A ") { present.insert(table + " " + line) }
        }
        let absent = all.filter { !present.contains("\($0.table) -A \($0.chain) \($0.spec)") }
        return absent.reversed()
    }

    /// A restore input inserting the missing jumps, or "" when none is missing. Apply it only
    /// after the chains exist (or use `IptablesRenderer.renderFull(_:saved:)`, which includes it).
    public static func jumpRules(missingFrom savedText: String) -> String {
        var b = IptablesRestoreBuilder()
        add(missing(from: savedText), to: &b)
        return b.isEmpty ? "" : b.text
    }

    static func add(_ jumps: [Jump], to b: inout IptablesRestoreBuilder) {
        for j in jumps { b.insert(j.chain, j.spec, table: j.table) }
    }

    /// Names of `SWITCHYARD-` chains per table in `savedText`.
    static func ownedChains(in savedText: String) -> [String: Set<String>] {
        var out: [String: Set<String>] = [:]
        var table = ""
        for raw in savedText.split(separator: "\n", omittingEmptySubsequences: true) {
            let line = raw.trimmingSpaces
            if line.hasPrefix("*") { table = String(line.dropFirst()); continue }
            if line.hasPrefix(":" + IptablesNames.prefix), let name = line.dropFirst().split(separator: " ").first {
                out[table, default: []].insert(String(name))
            }
        }
        return out
    }
}

extension Substring {
    var trimmingSpaces: String {
        var s = self[...]
        while let f = s.first, f == " " || f == "\t" || f == "\r" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\r" { s = s.dropLast() }
        return String(s)
    }
}
