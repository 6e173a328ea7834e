import SwitchyardCore

/// A packet field a rule reads, in one family's table: the network header's source or
/// destination address, the transport protocol, or the transport destination port.
public enum NftField: Hashable, Sendable {
    case saddr, daddr, l4proto, dport

    /// `ip saddr`, `ip6 daddr`, `meta l4proto`, `th dport`.
    func text(_ family: NftFamily) -> String {
        switch self {
        case .saddr: return "\(family.header) saddr"
        case .daddr: return "\(family.header) daddr"
        case .l4proto: return "meta l4proto"
        case .dport: return "th dport"
        }
    }
}

/// One statement of a typed rule. Only the closed set of shapes the affinity chains use: every
/// value is typed (addresses, ports, protocols, numbers) and every set name is one this module made.
public enum NftExpr: Hashable, Sendable {
    /// `k1 . k2 @set` (or `k != @set`): the fields, concatenated, are (not) in `set`.
    case lookup([NftField], set: String, inverted: Bool)
    /// `meta mark set meta mark | 0x…`: sets bits of the packet mark.
    case markBits(UInt32)
    /// `numgen random mod N k`: a uniform random number below `modulus` equals `equals`.
    case numgen(modulus: UInt32, equals: UInt32)
    /// `update @set { k1 . k2 [timeout Ts] }`: adds or refreshes the concatenated fields in `set`.
    case update(set: String, key: [NftField], timeoutSeconds: UInt32?)
    /// `meta l4proto tcp`: the transport protocol is `proto`.
    case l4proto(L4Protocol)
    /// `dnat ip to A:P` / `dnat ip6 to [A]:P`.
    case dnat(IPAddress, port: UInt16)

    /// The statement as nft accepts it.
    func text(_ family: NftFamily) -> String {
        func key(_ k: [NftField]) -> String { k.map { $0.text(family) }.joined(separator: " . ") }
        switch self {
        case .lookup(let k, let set, let inverted): return "\(key(k)) \(inverted ? "!= " : "")@\(set)"
        case .markBits(let bits): return "meta mark set meta mark | \(Self.hex8(bits))"
        case .numgen(let n, let k): return "numgen random mod \(n) \(k)"
        case .update(let set, let k, let t): return "update @\(set) { \(key(k))\(t.map { " timeout \($0)s" } ?? "") }"
        case .l4proto(let p): return "meta l4proto \(p.lowercased)"
        case .dnat(let a, let port):
            let addr = a.family == .ipv4 ? a.description : "[\(a)]"
            return "dnat \(family.header) to \(addr):\(port)"
        }
    }

    /// `0x` and 8 lower-case hex digits.
    static func hex8(_ v: UInt32) -> String {
        let digits = Array("0123456789abcdef")
        return "0x" + String((0..<8).map { digits[Int(v >> (28 - 4 * UInt32($0)) & 0xf)] })
    }
}

/// A rule in typed form: its statements in order, in a table of `family`. Its `text` is what
/// `NftRule.text` holds, so the text script and a binary encoding of one rule cannot disagree.
public struct NftRuleBody: Hashable, Sendable {
    public var family: NftFamily
    public var exprs: [NftExpr]
    public init(family: NftFamily, _ exprs: [NftExpr]) { self.family = family; self.exprs = exprs }

    /// The rule as nft accepts it (statements joined by one space).
    public var text: String { exprs.map { $0.text(family) }.joined(separator: " ") }
}
