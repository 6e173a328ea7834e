import RenderIPVS
import SwitchyardCore

/// Installs one family's IPVS-mode iptables ruleset: our chains through `iptables-restore
/// --noflush` (which flushes and refills only the chains it declares) and each jump from a
/// built-in chain exactly once (inserted at the top when `iptables-save` does not show it).
enum IPVSIptablesSync {
    /// The chain a jump targets (the word after `-j`).
    static func target(_ j: IPVSIptablesJump) -> String {
        let words = j.rule.split(separator: " ")
        guard let i = words.lastIndex(of: "-j"), i + 1 < words.count else { return "" }
        return String(words[i + 1])
    }

    /// Jumps that `save` (iptables-save of `j.table`) lacks. A jump counts as present when its
    /// built-in chain has a rule jumping to the same chain of ours.
    static func missing(_ jumps: [IPVSIptablesJump], in save: [String: String]) -> [IPVSIptablesJump] {
        jumps.filter { j in
            let lines = save[j.table]?.split(separator: "\n") ?? []
            let prefix = "-A \(j.chain) "
            let comment = j.rule.commentText
            return !lines.contains { $0.hasPrefix(prefix) && $0.hasSuffix("-j \(target(j))") && (comment == nil || $0.contains(comment!)) }
        }
    }

    /// `restoreText` with `-I CHAIN n` lines for `missing` before each table's COMMIT, in list order.
    static func text(_ r: IPVSIptablesRuleset, adding missing: [IPVSIptablesJump]) -> String {
        var out = ""
        var table = ""
        for line in r.restoreText.split(separator: "\n", omittingEmptySubsequences: false) where !line.isEmpty {
            if line.hasPrefix("*") { table = String(line.dropFirst()) }
            if line == "COMMIT" {
                var position: [String: Int] = [:]
                for j in missing where j.table == table {
                    position[j.chain, default: 0] += 1
                    out += "-I \(j.chain) \(position[j.chain]!) \(j.rule)\n"
                }
            }
            out += line + "\n"
        }
        return out
    }

    /// `iptables-save` output split by table (`*nat` … `COMMIT`).
    static func splitTables(_ save: String) -> [String: String] {
        var out: [String: String] = [:]
        var table: String?
        for line in save.split(separator: "\n") {
            if line.hasPrefix("*") { table = String(line.dropFirst()) }
            if let t = table { out[t, default: ""] += line + "\n" }
            if line == "COMMIT" { table = nil }
        }
        return out
    }

    /// True when `save` has each chain `r` declares with as many rules as `r` puts in it: a
    /// ruleset applied before and not tampered with since (rule text is normalised by the tools,
    /// so counts are compared, not text).
    static func isIntact(_ r: IPVSIptablesRuleset, save: [String: String]) -> Bool {
        var table = ""
        var want: [String: [String: Int]] = [:]
        for line in r.restoreText.split(separator: "\n") {
            if line.hasPrefix("*") { table = String(line.dropFirst()) }
            if line.hasPrefix(":") { want[table, default: [:]][String(line.dropFirst().prefix { $0 != " " }), default: 0] += 0 }
            if line.hasPrefix("-A ") { want[table, default: [:]][String(line.dropFirst(3).prefix { $0 != " " }), default: 0] += 1 }
        }
        for (t, chains) in want {
            let lines = save[t]?.split(separator: "\n") ?? []
            for (chain, count) in chains {
                guard lines.contains(where: { $0.hasPrefix(":\(chain) ") }) else { return false }
                if lines.count(where: { $0.hasPrefix("-A \(chain) ") }) != count { return false }
            }
        }
        return true
    }

    /// Deletes our jumps and chains of `family` (what `save` shows of them), for cleanup.
    static func removalText(save: [String: String]) -> String {
        var out = ""
        for table in ["nat", "filter"] {
            let lines = save[table]?.split(separator: "\n").map(String.init) ?? []
            let ours = lines.filter { $0.hasPrefix(":SWITCHYARD-") }.map { String($0.dropFirst().prefix { $0 != " " }) }
            let jumps = lines.filter { l in l.hasPrefix("-A ") && !l.hasPrefix("-A SWITCHYARD-") && ours.contains { l.hasSuffix("-j \($0)") } }
            guard !ours.isEmpty || !jumps.isEmpty else { continue }
            out += "*\(table)\n"
            for j in jumps { out += "-D" + j.dropFirst(2) + "\n" }
            for c in ours { out += "-F \(c)\n" }
            for c in ours { out += "-X \(c)\n" }
            out += "COMMIT\n"
        }
        return out
    }
}

extension String {
    /// The quoted text after `--comment`, quotes included, or nil.
    var commentText: String? {
        guard let start = firstIndexOf("--comment \"") else { return nil }
        let from = index(start, offsetBy: 10)
        guard let end = self[index(after: from)...].firstIndex(of: "\"") else { return nil }
        return String(self[from...end])
    }

    private func firstIndexOf(_ needle: String) -> String.Index? {
        var i = startIndex
        while i < endIndex {
            if self[i...].hasPrefix(needle) { return i }
            i = index(after: i)
        }
        return nil
    }
}
