import Render
import SwitchyardCore

/// What the iptables backend sends to the kernel for one address family.
public struct IptablesFamilyOutput: Sendable, Equatable {
    public var family: IPFamily
    /// `ipset restore` input for the hairpin set; apply it FIRST (the nat rules reference the set).
    public var ipsetRestore: String
    /// `iptables-restore --noflush` (IPv4) / `ip6tables-restore --noflush` (IPv6) input: nat and filter.
    public var restore: String
    /// Chains declared (created or flushed) by `restore`.
    public var chainsDeclared: Int
    /// Rule commands (`-A`, `-I`, `-D`) in `restore`.
    public var ruleCommands: Int
    /// Hairpin ipset members written (full) or added/removed (incremental).
    public var ipsetChanges: Int

    /// The restore command for this family.
    public var restoreCommand: String { family == .ipv4 ? "iptables-restore --noflush" : "ip6tables-restore --noflush" }
}

/// The rendered iptables ruleset: per family, an ipset input and an iptables-restore input.
public struct IptablesOutput: RenderedOutput, Equatable {
    /// True for a full render (every owned chain rewritten), false for a partial one.
    public var isFull: Bool
    /// One entry per family that has something to apply, IPv4 first.
    public var families: [IptablesFamilyOutput]

    public init(isFull: Bool, families: [IptablesFamilyOutput]) { self.isFull = isFull; self.families = families }

    /// Nothing to apply.
    public var isEmpty: Bool { families.allSatisfy { $0.ipsetRestore.isEmpty && $0.restore.isEmpty } }

    /// The output for a family, if any.
    public func family(_ f: IPFamily) -> IptablesFamilyOutput? { families.first { $0.family == f } }

    /// Every input, each under a `#### <command>` header line, in application order.
    /// (A full render's text is tens of megabytes: it is copied on every core.)
    public var text: String {
        var pieces: [TextPiece] = []
        for f in families {
            if !f.ipsetRestore.isEmpty { pieces += [.string("#### ipset restore (\(f.family.rawValue))\n"), .string(f.ipsetRestore)] }
            if !f.restore.isEmpty { pieces += [.string("#### \(f.restoreCommand)\n"), .string(f.restore)] }
        }
        return ParallelMap.join(pieces)
    }

    public var json: String {
        let fams = families.map { f in
            "{\"family\":\"\(f.family.rawValue)\",\"command\":\"\(f.restoreCommand)\",\"chainsDeclared\":\(f.chainsDeclared),"
                + "\"ruleCommands\":\(f.ruleCommands),\"ipsetChanges\":\(f.ipsetChanges),"
                + "\"ipset\":\(JSONText.string(f.ipsetRestore)),\"restore\":\(JSONText.string(f.restore))}"
        }
        return "{\"backend\":\"iptables\",\"mode\":\"\(isFull ? "full" : "partial")\",\"families\":[\(fams.joined(separator: ","))]}"
    }

}
