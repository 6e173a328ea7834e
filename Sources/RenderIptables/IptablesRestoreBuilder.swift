/// Builds `iptables-restore` / `ip6tables-restore` input for one or more tables, meant for `--noflush`.
///
/// Within each table the text is ordered so a single restore transaction is always valid:
/// chain declarations first (`:NAME - [0:0]`, which creates or flushes the chain), then rule
/// commands (`-D` before `-I`/`-A`, in the order they were added), then chain deletions (`-X`),
/// then `COMMIT`. Tables appear in the order they were first used. `commit()` closes every open
/// table section so later commands go into new sections — separate transactions applied in
/// order by one `iptables-restore` run. Rule text is taken as given
/// (everything after `-A CHAIN `): callers must build it only from validated or hashed values.
///
/// ```swift
/// var b = IptablesRestoreBuilder()
/// b.declareChain("SWITCHYARD-IPVS", table: "nat")
/// b.append("SWITCHYARD-IPVS", "-j MASQUERADE", table: "nat")
/// let text = b.text   // "*nat\n:SWITCHYARD-IPVS - [0:0]\n-A SWITCHYARD-IPVS -j MASQUERADE\nCOMMIT\n"
/// ```
public struct IptablesRestoreBuilder: Sendable, Equatable {
    /// One rule command, kept in parts and joined only when the text is written.
    struct Command: Sendable, Equatable {
        enum Verb: String, Sendable { case append = "-A ", insert = "-I ", delete = "-D " }
        var verb: Verb
        var chain: String
        var rule: String
        /// Bytes of `VERB CHAIN RULE\n`.
        var length: Int { 3 + chain.utf8.count + 1 + rule.utf8.count + 1 }
        func write(to out: inout String) {
            out += verb.rawValue; out += chain; out += " "; out += rule; out += "\n"
        }
    }

    struct Table: Sendable, Equatable {
        var name: String
        var declarations: [String] = []
        var declared: Set<String> = []
        var deletes: [Command] = []
        var commands: [Command] = []
        var chainDeletions: [String] = []
        var isEmpty: Bool { declarations.isEmpty && deletes.isEmpty && commands.isEmpty && chainDeletions.isEmpty }
    }

    private var tables: [Table] = []
    /// Index of the first table section still open (sections before it are committed).
    private var openFrom = 0

    public init() {}

    private mutating func with(_ table: String, _ body: (inout Table) -> Void) {
        if let i = tables[openFrom...].firstIndex(where: { $0.name == table }) {
            body(&tables[i])
        } else {
            var t = Table(name: table)
            body(&t)
            tables.append(t)
        }
    }

    /// Declares (creates, or flushes when it exists) a user chain. Declaring twice is a no-op.
    public mutating func declareChain(_ chain: String, table: String) {
        with(table) { t in
            if t.declared.insert(chain).inserted { t.declarations.append(":\(chain) - [0:0]") }
        }
    }

    /// Appends `-A CHAIN rule`.
    public mutating func append(_ chain: String, _ rule: String, table: String) {
        with(table) { $0.commands.append(Command(verb: .append, chain: chain, rule: rule)) }
    }

    /// Inserts `-I CHAIN rule` (at the top of the chain).
    public mutating func insert(_ chain: String, _ rule: String, table: String) {
        with(table) { $0.commands.append(Command(verb: .insert, chain: chain, rule: rule)) }
    }

    /// Deletes one rule by its exact spec (`-D CHAIN rule`); runs before every insert/append of the table.
    public mutating func delete(_ chain: String, _ rule: String, table: String) {
        with(table) { $0.deletes.append(Command(verb: .delete, chain: chain, rule: rule)) }
    }

    /// Deletes a user chain: it is declared (flushed) and removed with `-X` at the end of the table.
    public mutating func deleteChain(_ chain: String, table: String) {
        declareChain(chain, table: table)
        with(table) { $0.chainDeletions.append("-X \(chain)") }
    }

    /// Ends the current transaction: commands after this go into new table sections.
    public mutating func commit() { openFrom = tables.count }

    /// Marks a table as present even without commands (it then renders as `*table` + `COMMIT`).
    public mutating func touch(table: String) { with(table) { _ in } }

    /// True when no table has any command.
    public var isEmpty: Bool { tables.allSatisfy(\.isEmpty) }

    /// Number of rule commands (`-A`, `-I`, `-D`) across all tables.
    public var ruleCommandCount: Int { tables.reduce(0) { $0 + $1.deletes.count + $1.commands.count } }

    /// Number of chain declarations across all tables.
    public var declarationCount: Int { tables.reduce(0) { $0 + $1.declarations.count } }

    /// The restore input; empty tables are left out unless touched.
    public var text: String {
        var size = 0
        for t in tables {
            size += t.name.utf8.count + 9 // "*NAME\n" + "COMMIT\n"
            for l in t.declarations { size += l.utf8.count + 1 }
            for c in t.deletes { size += c.length }
            for c in t.commands { size += c.length }
            for l in t.chainDeletions { size += l.utf8.count + 1 }
        }
        var out = ""
        out.reserveCapacity(size)
        for t in tables {
            out += "*"; out += t.name; out += "\n"
            for l in t.declarations { out += l; out += "\n" }
            for c in t.deletes { c.write(to: &out) }
            for c in t.commands { c.write(to: &out) }
            for l in t.chainDeletions { out += l; out += "\n" }
            out += "COMMIT\n"
        }
        return out
    }
}
