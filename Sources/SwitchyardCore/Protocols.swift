/// IPv4 or IPv6.
public enum IPFamily: String, Hashable, Sendable, Comparable, CaseIterable, Codable {
    case ipv4 = "IPv4"
    case ipv6 = "IPv6"

    public static func < (a: IPFamily, b: IPFamily) -> Bool { a == .ipv4 && b == .ipv6 }

    /// Hashes the case, not the raw-value string (every `IPAddress` in a set or key hashes this).
    public func hash(into h: inout Hasher) { h.combine(self == .ipv4 ? 4 as UInt8 : 6) }
}

/// The transport protocols a Service port can use.
public enum L4Protocol: String, Hashable, Sendable, Comparable, CaseIterable, Codable {
    case tcp = "TCP"
    case udp = "UDP"
    case sctp = "SCTP"

    /// Parses the Kubernetes spelling; an absent protocol means TCP. Nil for anything unknown.
    public init?(kubernetes value: String?) {
        guard let value else { self = .tcp; return }
        switch value {
        case "TCP": self = .tcp
        case "UDP": self = .udp
        case "SCTP": self = .sctp
        default: return nil
        }
    }

    /// Lowercase name used by iptables, nftables and ipvsadm (`tcp`, `udp`, `sctp`).
    public var lowercased: String {
        switch self {
        case .tcp: return "tcp"
        case .udp: return "udp"
        case .sctp: return "sctp"
        }
    }

    /// IANA protocol number (6, 17, 132).
    public var number: UInt8 {
        switch self {
        case .tcp: return 6
        case .udp: return 17
        case .sctp: return 132
        }
    }

    public static func < (a: L4Protocol, b: L4Protocol) -> Bool { a.number < b.number }

    /// Hashes the protocol number, not the raw-value string.
    public func hash(into h: inout Hasher) { h.combine(number) }
}
