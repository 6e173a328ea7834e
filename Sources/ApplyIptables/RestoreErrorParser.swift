import Apply

/// Turns `iptables-restore` / `ip6tables-restore` / `ipset restore` error output into an
/// `ApplyError` naming the failing input line.
///
/// Forms seen with iptables 1.8.9 (legacy and nf_tables) and ipset 7:
/// - `iptables-restore v1.8.9 (legacy): MESSAGE` … `Error occurred at line: N`
/// - `iptables-restore: line N failed` (optionally `: MESSAGE`)
/// - `iptables-nft-restore: COMMIT expected at line N`
/// - `ipset v7.17: Error in line N: MESSAGE`
enum RestoreErrorParser {
    static func error(output: String, input: String, operation: String, backend: String = "iptables") -> ApplyError {
        let lines = output.split(separator: "\n").map { String($0).trimmed }.filter { !$0.isEmpty && !$0.hasPrefix("Try `") }
        let n = lineNumber(lines)
        let first = lines.first { !$0.hasPrefix("Error occurred at line") } ?? ""
        let message = stripTool(first)
        return ApplyError(backend: backend, operation: operation,
                          message: message.isEmpty ? "failed with no output" : message,
                          line: n, lineText: n.flatMap { lineText(input, $0) })
    }

    /// The first line number any known form names.
    static func lineNumber(_ lines: [String]) -> Int? {
        for l in lines {
            for marker in ["Error occurred at line: ", ": line ", "expected at line ", "Error in line "] {
                guard let r = l.range(of: marker) else { continue }
                let digits = l[r.upperBound...].prefix { $0.isNumber }
                if let n = Int(digits) { return n }
            }
        }
        return nil
    }

    /// `iptables-restore v1.8.9 (legacy): Couldn't load …` → `Couldn't load …`; `ipset v7.17: Error in
    /// line 1: The set …` → `The set …`. Messages in other forms are kept whole.
    static func stripTool(_ line: String) -> String {
        var s = Substring(line)
        if let r = s.range(of: "): ") ?? (s.hasPrefix("ipset v") ? s.range(of: ": ") : nil) { s = s[r.upperBound...] }
        if s.hasPrefix("Error in line "), let r = s.range(of: ": ") { s = s[r.upperBound...] }
        return String(s)
    }

    /// Line `n` (1-based) of `input`, cut to 300 characters.
    static func lineText(_ input: String, _ n: Int) -> String? {
        guard n >= 1 else { return nil }
        var i = 1
        for l in input.split(separator: "\n", omittingEmptySubsequences: false) {
            if i == n { return l.count > 300 ? String(l.prefix(300)) + "…" : String(l) }
            i += 1
        }
        return nil
    }
}

extension String {
    var trimmed: String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" || f == "\r" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\r" { s = s.dropLast() }
        return String(s)
    }
}
