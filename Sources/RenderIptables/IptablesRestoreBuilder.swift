import SwitchyardCore

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
    /// One rule command, kept in parts and joined only when the text is written; or (`.rendered`)
    /// several complete command lines rendered ahead, kept as they are.
    struct Command: Sendable, Equatable {
        enum Verb: String, Sendable { case append = "-A ", insert = "-I ", delete = "-D ", rendered = "" }
        var verb: Verb
        var chain: String
        /// The rule spec (empty for `.rendered`).
        var rule: String
        /// For `.rendered`: the complete lines, each ending in a newline.
        var lines: TextPiece? = nil
        /// Rule commands this entry stands for.
        var count = 1
        /// The pieces of `VERB CHAIN RULE\n` (or the rendered lines), in order.
        func pieces(into out: inout [TextPiece]) {
            if let lines { out.append(lines); return }
            out.append(.string(verb.rawValue)); out.append(.string(chain)); out.append(.string(" ")); out.append(.string(rule))
            out.append(.string("\n"))
        }
    }

    struct Table: Sendable, Equatable {
        var name: String
        /// Declaration lines, each ending in a newline (a pre-rendered entry may hold several).
        var declarations: [TextPiece] = []
        var declarationCount = 0
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
            if t.declared.insert(chain).inserted {
                t.declarations.append(.string(":" + chain + " - [0:0]\n"))
                t.declarationCount += 1
            }
        }
    }

    /// Adds text rendered ahead (in parallel, by the caller): `declarations` holds `count`
    /// complete `:CHAIN - [0:0]` lines, `commands` holds `commandCount` complete rule command
    /// lines (`-A CHAIN RULE`), each line ending in a newline. They take their place in the
    /// table like `declareChain` and `append` calls made now would, except that the chains are
    /// not checked for earlier declarations: the caller declares each chain once.
    mutating func addRendered(table: String, declarations: String, declarationCount: Int,
                              commands: String, commandCount: Int) {
        addRendered(table: table, declarations: .string(declarations), declarationCount: declarationCount,
                    commands: .string(commands), commandCount: commandCount)
    }

    /// `addRendered(table:declarations:declarationCount:commands:commandCount:)` for text
    /// written ahead as strings or bytes (UTF-8).
    mutating func addRendered(table: String, declarations: TextPiece, declarationCount: Int,
                              commands: TextPiece, commandCount: Int) {
        guard declarationCount > 0 || commandCount > 0 else { return }
        with(table) { t in
            if declarationCount > 0 {
                t.declarations.append(declarations)
                t.declarationCount += declarationCount
            }
            if commandCount > 0 { t.commands.append(Command(verb: .rendered, chain: "", rule: "", lines: commands, count: commandCount)) }
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
    public var ruleCommandCount: Int {
        tables.reduce(0) { $0 + $1.deletes.count + $1.commands.reduce(0) { $0 + $1.count } }
    }

    /// Number of chain declarations across all tables.
    public var declarationCount: Int { tables.reduce(0) { $0 + $1.declarationCount } }

    /// The restore input; empty tables are left out unless touched. A large text (a full
    /// render) is assembled on every core: its pieces are listed here in order, then copied.
    public var text: String {
        var count = 0
        for t in tables { count += 2 + t.declarations.count + 5 * (t.deletes.count + t.commands.count) + 2 * t.chainDeletions.count }
        var pieces: [TextPiece] = []
        pieces.reserveCapacity(count)
        for t in tables {
            pieces.append(.string("*")); pieces.append(.string(t.name)); pieces.append(.string("\n"))
            pieces.append(contentsOf: t.declarations)
            for c in t.deletes { c.pieces(into: &pieces) }
            for c in t.commands { c.pieces(into: &pieces) }
            for l in t.chainDeletions { pieces.append(.string(l)); pieces.append(.string("\n")) }
            pieces.append(.string("COMMIT\n"))
        }
        return ParallelMap.join(pieces)
    }
}
