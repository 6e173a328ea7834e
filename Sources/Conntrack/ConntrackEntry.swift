import SwitchyardCore

/// One direction of a conntrack entry: source and destination address and port.
public struct ConntrackTuple: Hashable, Sendable, CustomStringConvertible {
    public var source: ConntrackAddress
    public var destination: ConntrackAddress
    public init(source: ConntrackAddress, destination: ConntrackAddress) { self.source = source; self.destination = destination }
    public var description: String { "\(source)->\(destination)" }
}

/// A conntrack table entry as read from the kernel (only the fields cleanup needs).
public struct ConntrackEntry: Hashable, Sendable, CustomStringConvertible {
    public var family: IPFamily
    /// IANA protocol number of the original tuple (17 for UDP).
    public var proto: UInt8
    public var original: ConntrackTuple
    public var reply: ConntrackTuple
    /// Conntrack zone (0 = default).
    public var zone: UInt16
    /// The kernel's entry id; a delete carrying it removes only this very entry.
    public var id: UInt32?

    public init(family: IPFamily, proto: UInt8, original: ConntrackTuple, reply: ConntrackTuple, zone: UInt16 = 0, id: UInt32? = nil) {
        self.family = family; self.proto = proto; self.original = original; self.reply = reply; self.zone = zone; self.id = id
    }

    public var description: String { "proto \(proto) orig \(original) reply \(reply)" + (zone == 0 ? "" : " zone \(zone)") }
}
