import SwitchyardCore

/// An address and port as conntrack records them (one side of a tuple).
public struct ConntrackAddress: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var ip: IPAddress
    public var port: UInt16
    public init(ip: IPAddress, port: UInt16) { self.ip = ip; self.port = port }

    /// `ip:port`, or `[ip]:port` for IPv6.
    public var description: String { ip.family == .ipv4 ? "\(ip):\(port)" : "[\(ip)]:\(port)" }

    public static func < (a: ConntrackAddress, b: ConntrackAddress) -> Bool { a.ip != b.ip ? a.ip < b.ip : a.port < b.port }
}

/// Which reply-direction source an entry must have to be deleted.
///
/// After DNAT the reply direction's source is the endpoint the flow was sent to; without DNAT it
/// equals the original destination.
public enum ReplySourceMatch: Hashable, Sendable {
    /// The flow was DNATed to this endpoint (reply source ip:port): a flow to a removed endpoint.
    case endpoint(ConntrackAddress)
    /// The flow was not DNATed (reply source = original destination, address and port): the
    /// entry was created while nothing translated the frontend and would keep bypassing the
    /// service's DNAT rules — the UDP blackhole.
    case notTranslated
    /// The reply source is none of these endpoints (sorted, unique): reconciliation of a frontend
    /// against its full endpoint list; matches untranslated entries too.
    case noneOf([ConntrackAddress])
}

/// A filter selecting conntrack entries to delete: one frontend of a service port plus a
/// condition on where the flow was translated to.
///
/// An entry matches when its family and protocol are these, its original destination port is
/// `destinationPort`, its original destination address is `destination` (any address when nil:
/// NodePorts) and its reply source satisfies `replySource`.
public struct ConntrackDeletion: Hashable, Sendable, CustomStringConvertible {
    public var family: IPFamily
    public var proto: L4Protocol
    /// Original destination address; nil matches any address (a NodePort).
    public var destination: IPAddress?
    /// Original destination port.
    public var destinationPort: UInt16
    public var replySource: ReplySourceMatch

    public init(family: IPFamily, proto: L4Protocol, destination: IPAddress?, destinationPort: UInt16, replySource: ReplySourceMatch) {
        self.family = family; self.proto = proto; self.destination = destination
        self.destinationPort = destinationPort; self.replySource = replySource
    }

    /// Conntrack-CLI-like text for logs, e.g. `udp orig-dst=10.96.0.10:53 reply-src=10.244.1.5:53`.
    public var description: String {
        let dst = destination.map { ConntrackAddress(ip: $0, port: destinationPort).description } ?? "*:\(destinationPort)"
        let reply: String
        switch replySource {
        case .endpoint(let a): reply = "reply-src=\(a)"
        case .notTranslated: reply = "not-dnat"
        case .noneOf(let list): reply = "reply-src-not-in=[" + list.map(\.description).joined(separator: ",") + "]"
        }
        return "\(proto.lowercased) \(family.rawValue) orig-dst=\(dst) \(reply)"
    }

    /// True when `entry` is selected by this filter.
    public func matches(_ entry: ConntrackEntry) -> Bool {
        guard entry.family == family, entry.proto == proto.number,
              entry.original.destination.port == destinationPort else { return false }
        if let destination, entry.original.destination.ip != destination { return false }
        let source = entry.reply.source
        switch replySource {
        case .endpoint(let a): return source == a
        case .notTranslated: return source == entry.original.destination
        case .noneOf(let list): return !list.contains(source)
        }
    }
}
