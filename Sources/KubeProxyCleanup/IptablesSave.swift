/// The parts of `iptables-save` / `ip6tables-save` output that a cleanup needs: per table, its chains
/// (built-in ones carry a policy) and its rules in order, each with the chain it sits in and its jump
/// or goto target. Pure: parsing never fails; lines it does not understand are ignored.
public struct IptablesSave: Sendable, Equatable {
    /// One `*table` … `COMMIT` block.
    public struct Table: Sendable, Equatable {
        public var name: String
        /// Chain names in the order the dump declares them.
        public var chains: [String]
        /// Chains declared with a policy (`:INPUT ACCEPT`): the built-in ones.
        public var builtinChains: Set<String>
        public var rules: [Rule]
    }

    /// One `-A CHAIN …` line.
    public struct Rule: Sendable, Equatable {
        public var chain: String
        /// Everything after `-A CHAIN `, exactly as dumped (quotes kept), so `-D CHAIN <spec>` deletes it.
        public var spec: String
        /// The `-j` or `-g` target, if any.
        public var target: String?
    }

    public var tables: [Table]

    /// Parses dump text. Comment lines, counters (`[p:b]` prefixes) and unknown lines are skipped.
    public init(parsing text: String) {
        var tables: [Table] = []
        var current: Table?
        for raw in text.split(whereSeparator: \.isNewline) {
            var line = Substring(raw).drop(while: { $0 == " " || $0 == "\t" })
            if line.hasPrefix("["), let close = line.firstIndex(of: "]") { // `[pkts:bytes] -A …` (iptables-save -c)
                line = line[line.index(after: close)...].drop(while: { $0 == " " })
            }
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("*") {
                if let done = current { tables.append(done) }
                current = Table(name: String(line.dropFirst()), chains: [], builtinChains: [], rules: [])
            } else if line == "COMMIT" {
                if let done = current { tables.append(done) }
                current = nil
            } else if line.hasPrefix(":") {
                let parts = line.dropFirst().split(separator: " ")
                guard let name = parts.first else { continue }
                current?.chains.append(String(name))
                if parts.count > 1, parts[1] != "-" { current?.builtinChains.insert(String(name)) }
            } else if line.hasPrefix("-A ") {
                let rest = line.dropFirst(3)
                guard let space = rest.firstIndex(of: " ") else { continue }
                let chain = String(rest[..<space])
                let spec = String(rest[rest.index(after: space)...])
                current?.rules.append(Rule(chain: chain, spec: spec, target: Self.target(of: spec)))
            }
        }
        if let done = current { tables.append(done) }
        self.tables = tables
    }

    /// The word after the last ` -j ` or ` -g ` (or a leading one), ignoring quoted text.
    static func target(of spec: String) -> String? {
        let words = Self.words(spec)
        var found: String?
        var i = 0
        while i < words.count {
            if (words[i] == "-j" || words[i] == "-g" || words[i] == "--jump" || words[i] == "--goto"), i + 1 < words.count {
                found = words[i + 1]
                i += 2
            } else {
                i += 1
            }
        }
        return found
    }

    /// Splits on spaces outside double quotes; quoted words come back without their quotes.
    static func words(_ text: String) -> [String] {
        var out: [String] = []
        var word = ""
        var quoted = false, escaped = false, inWord = false
        for c in text {
            if escaped { word.append(c); escaped = false; continue }
            if c == "\\" && quoted { escaped = true; continue }
            if c == "\"" { quoted.toggle(); inWord = true; continue }
            if c == " " && !quoted {
                if inWord { out.append(word); word = ""; inWord = false }
                continue
            }
            word.append(c); inWord = true
        }
        if inWord { out.append(word) }
        return out
    }
}
