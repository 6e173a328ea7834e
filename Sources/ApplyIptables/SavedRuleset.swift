import RenderIptables
import SwitchyardCore

/// The parts of `iptables-save` output the applier needs: per table, the `SWITCHYARD-` chains
/// and the rules in other chains that jump to them.
struct SavedRuleset: Sendable, Equatable {
    /// Our chains per table (`nat`, `filter`).
    var ownedChains: [String: Set<String>] = [:]
    /// Rules outside our chains whose target is one of our chains: table and the rule exactly as
    /// saved, without the leading `-A ` (so `-D ` + spec deletes it).
    var jumps: [(table: String, spec: String)] = []

    static func == (a: SavedRuleset, b: SavedRuleset) -> Bool {
        a.ownedChains == b.ownedChains && a.jumps.map { "\($0.table) \($0.spec)" } == b.jumps.map { "\($0.table) \($0.spec)" }
    }

    init(_ text: String) {
        var table = ""
        for raw in text.split(separator: "\n") {
            let line = String(raw).trimmed
            if line.hasPrefix("*") { table = String(line.dropFirst()); continue }
            if line.hasPrefix(":" + IptablesNames.prefix), let name = line.dropFirst().split(separator: " ").first {
                ownedChains[table, default: []].insert(String(name))
            } else if line.hasPrefix("-A ") {
                let spec = String(line.dropFirst(3))
                let tokens = Self.tokens(spec)
                guard let chain = tokens.first, !chain.hasPrefix(IptablesNames.prefix),
                      let target = Self.target(tokens), target.hasPrefix(IptablesNames.prefix) else { continue }
                jumps.append((table, spec))
            }
        }
    }

    /// The `-j` / `-g` target of a rule's tokens.
    static func target(_ tokens: [String]) -> String? {
        var i = tokens.count - 2
        while i >= 1 {
            if tokens[i] == "-j" || tokens[i] == "-g" || tokens[i] == "--jump" || tokens[i] == "--goto" { return tokens[i + 1] }
            i -= 1
        }
        return nil
    }

    /// Splits a rule at spaces outside double quotes (iptables-save quotes comments, escaping `"` as `\"`).
    static func tokens(_ s: String) -> [String] {
        var out: [String] = [], cur = "", quoted = false, escaped = false, any = false
        for c in s {
            if escaped { cur.append(c); escaped = false; continue }
            if c == "\\" && quoted { escaped = true; cur.append(c); continue }
            if c == "\"" { quoted.toggle(); any = true; cur.append(c); continue }
            if c == " " && !quoted {
                if any || !cur.isEmpty { out.append(cur) }
                cur = ""; any = false
            } else { cur.append(c) }
        }
        if any || !cur.isEmpty { out.append(cur) }
        return out
    }
}

/// What the applier believes the kernel holds: our chains per family and table, updated from the
/// restore inputs the kernel accepted (declarations add, `-X` removes). Incremental syncs never
/// read kernel state; full syncs compare it with `iptables-save` to count drift.
public struct IptablesRecord: Hashable, Sendable {
    /// Chains per family, per table.
    public var chains: [IPFamily: [String: Set<String>]] = [:]

    public init() {}

    /// The record after the kernel accepted `restore` for `family`.
    public func applying(_ restore: String, family: IPFamily) -> IptablesRecord {
        var r = self
        var tables = r.chains[family] ?? [:]
        var table = ""
        for raw in restore.split(separator: "\n") {
            if raw.hasPrefix("*") { table = String(raw.dropFirst()); continue }
            if raw.hasPrefix(":" + IptablesNames.prefix), let name = raw.dropFirst().split(separator: " ").first {
                tables[table, default: []].insert(String(name))
            } else if raw.hasPrefix("-X ") {
                tables[table]?.remove(String(raw.dropFirst(3)).trimmed)
            }
        }
        r.chains[family] = tables
        return r
    }

    /// Chains in the record but not in `saved`, plus chains in `saved` but not in the record.
    func drift(from saved: SavedRuleset, family: IPFamily) -> Int {
        let mine = chains[family] ?? [:]
        var n = 0
        for table in Set(mine.keys).union(saved.ownedChains.keys) {
            n += mine[table, default: []].symmetricDifference(saved.ownedChains[table, default: []]).count
        }
        return n
    }
}
