import SwitchyardCore

/// An nftables table family this renderer owns a table in.
public enum NftFamily: String, Hashable, Sendable, Comparable {
    case ip
    case ip6

    /// The table family for an address family.
    public init(_ family: IPFamily) { self = family == .ipv4 ? .ip : .ip6 }

    /// The address family of this table.
    public var ipFamily: IPFamily { self == .ip ? .ipv4 : .ipv6 }

    /// Payload keyword for the network header (`ip` / `ip6`).
    var header: String { rawValue }
    /// Set element type of an address (`ipv4_addr` / `ipv6_addr`).
    var addrType: String { self == .ip ? "ipv4_addr" : "ipv6_addr" }
    /// Loopback prefix excluded from "all local addresses" NodePorts.
    var loopback: String { self == .ip ? "127.0.0.0/8" : "::1" }

    public static func < (a: NftFamily, b: NftFamily) -> Bool { a == .ip && b == .ip6 }
}

/// A base chain's hook: chain type, netfilter hook and numeric priority.
public struct NftHook: Hashable, Sendable {
    public var type: String
    public var hook: String
    public var priority: Int
    init(type: String, hook: String, priority: Int) { self.type = type; self.hook = hook; self.priority = priority }
}

/// A chain in our table; `hook` is set for base chains.
public struct NftChain: Hashable, Sendable {
    public var name: String
    public var hook: NftHook?
    public init(_ name: String, hook: NftHook? = nil) { self.name = name; self.hook = hook }
}

/// One rule. Only this module builds rules, from typed values (addresses, ports, protocols,
/// numbers and names it generated itself), so no external text reaches a rule.
///
/// A rule built from a typed `body` (`NftExpr` statements) derives its text from it, so both
/// forms always agree; the applier can then send it as netlink expressions instead of text.
/// Equality and hashing use the text only.
public struct NftRule: Hashable, Sendable {
    public let text: String
    /// The typed form, when the rule was built from one (nil: text only, nft must parse it).
    public let body: NftRuleBody?
    init(_ parts: String...) { text = parts.filter { !$0.isEmpty }.joined(separator: " "); body = nil }
    /// A rule from its typed form; `text` is derived from it.
    init(_ body: NftRuleBody) { self.body = body; text = body.text }

    public static func == (a: NftRule, b: NftRule) -> Bool { a.text == b.text }
    public func hash(into h: inout Hasher) { h.combine(text) }
}

/// A named set or map. `spec` is its type line (`type …` or `typeof …`); `flags`, `timeout` and
/// `size` (maximum number of elements; nft's default for dynamic sets is 65,535) optional.
public struct NftSet: Hashable, Sendable {
    public var name: String
    public var spec: String
    public var flags: [String]
    public var timeoutSeconds: UInt32?
    public var size: UInt32?
    init(_ name: String, spec: String, flags: [String] = [], timeoutSeconds: UInt32? = nil, size: UInt32? = nil) {
        self.name = name; self.spec = spec; self.flags = flags; self.timeoutSeconds = timeoutSeconds; self.size = size
    }
}

/// One command of a transaction, always aimed at our own table of `family`.
public enum NftCommand: Hashable, Sendable {
    case addTable(NftFamily)
    case deleteTable(NftFamily)
    case addChain(NftFamily, NftChain)
    case flushChain(NftFamily, String)
    case deleteChain(NftFamily, String)
    case addSet(NftFamily, NftSet, isMap: Bool)
    case deleteSet(NftFamily, String, isMap: Bool)
    /// Removes every element of a set or map.
    case flushSet(NftFamily, String, isMap: Bool)
    case addRule(NftFamily, chain: String, NftRule)
    case addElements(NftFamily, set: String, [NftElement])
    case deleteElements(NftFamily, set: String, [NftElement])
}
